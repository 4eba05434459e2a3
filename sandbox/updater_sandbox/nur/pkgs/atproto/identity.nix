{ lib, stdenv, src, version }:
stdenv.mkDerivation {
  pname = "atproto-identity";
  inherit version src;
  sourceRoot = "${src.name}/packages/identity";

  meta = {
    description = "atproto identity (fixture)";
    license = lib.licenses.mit;
  };
}
