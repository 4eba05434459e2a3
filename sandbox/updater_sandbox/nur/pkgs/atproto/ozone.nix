{ lib, stdenv, src, version }:
stdenv.mkDerivation {
  pname = "atproto-ozone";
  inherit version;
  src = "${src}/packages/ozone";

  meta = {
    description = "atproto ozone (fixture)";
    license = lib.licenses.mit;
  };
}
