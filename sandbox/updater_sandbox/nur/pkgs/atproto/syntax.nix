{ lib, stdenv, src, version }:
stdenv.mkDerivation {
  pname = "atproto-syntax";
  inherit version src;
  sourceRoot = "${src.name}/packages/syntax";

  meta = {
    description = "atproto syntax (fixture)";
    license = lib.licenses.mit;
  };
}
