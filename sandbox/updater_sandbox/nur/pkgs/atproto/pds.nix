{ lib, stdenv, src, version }:
stdenv.mkDerivation {
  pname = "atproto-pds";
  inherit version;
  src = "${src}/packages/pds";

  meta = {
    description = "atproto pds (fixture)";
    license = lib.licenses.mit;
  };
}
