{ lib, stdenv, src, version }:
stdenv.mkDerivation {
  pname = "atproto-api";
  inherit version src;
  sourceRoot = "${src.name}/packages/api";

  meta = {
    description = "atproto api (fixture)";
    license = lib.licenses.mit;
  };
}
