{ lib, stdenv, src, version }:
stdenv.mkDerivation {
  pname = "atproto-repo";
  inherit version;
  src = "${src}/packages/repo";

  meta = {
    description = "atproto repo (fixture)";
    license = lib.licenses.mit;
  };
}
