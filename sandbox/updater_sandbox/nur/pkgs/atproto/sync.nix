{ lib, stdenv, src, version }:
stdenv.mkDerivation {
  pname = "atproto-sync";
  inherit version src;
  sourceRoot = "${src.name}/packages/sync";

  meta = {
    description = "atproto sync (fixture)";
    license = lib.licenses.mit;
  };
}
