{ lib, stdenv, src, version }:
stdenv.mkDerivation {
  pname = "atproto-crypto";
  inherit version;
  src = "${src}/packages/crypto";

  meta = {
    description = "atproto crypto (fixture)";
    license = lib.licenses.mit;
  };
}
