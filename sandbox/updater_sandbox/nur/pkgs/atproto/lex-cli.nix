{ lib, stdenv, src, version }:
stdenv.mkDerivation {
  pname = "atproto-lex-cli";
  inherit version src;
  sourceRoot = "${src.name}/packages/lex-cli";

  meta = {
    description = "atproto lex-cli (fixture)";
    license = lib.licenses.mit;
  };
}
