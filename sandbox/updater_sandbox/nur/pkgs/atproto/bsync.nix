{ lib, stdenv, src, version }:
stdenv.mkDerivation {
  pname = "atproto-bsync";
  inherit version src;
  sourceRoot = "${src.name}/packages/bsync";

  meta = {
    description = "atproto bsync (fixture)";
    license = lib.licenses.mit;
  };
}
