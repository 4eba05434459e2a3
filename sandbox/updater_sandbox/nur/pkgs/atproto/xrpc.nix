{ lib, stdenv, src, version }:
stdenv.mkDerivation {
  pname = "atproto-xrpc";
  inherit version src;
  sourceRoot = "${src.name}/packages/xrpc";

  meta = {
    description = "atproto xrpc (fixture)";
    license = lib.licenses.mit;
  };
}
