{ lib, stdenv, fetchFromGitHub }:
let
  # a fetcher of this repository's own, unknown to any scanner: the module list as a
  # fixed-output derivation whose name does not follow the version
  fetchGoModules =
    { src, hash }:
    stdenv.mkDerivation {
      name = "gomods-go-modules";
      inherit src;
      buildPhase = ''
        grep -E ' h1:' go.sum > modules.txt
      '';
      installPhase = ''
        mkdir -p $out
        cp modules.txt $out/
      '';
      outputHashMode = "recursive";
      outputHashAlgo = "sha256";
      outputHash = hash;
    };
in
stdenv.mkDerivation rec {
  pname = "gomods";
  version = "1.0.0";

  src = fetchFromGitHub {
    owner = "hw-example";
    repo = "gomods";
    rev = "v${version}";
    hash = "sha256-3oWl/vnw285YA7TGqmte5cJ2XojTX04LVyaArW5CJfU=";
  };

  goModules = fetchGoModules {
    inherit src;
    hash = "sha256-AQPNe7GeKEBJkUIg1hoShlXLsowraL74LYTnDQWV0i4=";
  };
}
