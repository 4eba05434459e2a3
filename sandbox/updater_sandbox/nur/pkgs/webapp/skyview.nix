{ lib, stdenv, fetchFromGitHub, nodejs, yarn }:
let
  version = "2.0.0";

  src = fetchFromGitHub {
    owner = "webapp-example";
    repo = "skyview";
    rev = "v${version}";
    hash = "sha256-kMi4+fMnMF0tmuUH6n6NRjf5dOW1w7pzjlOChMixC70=";
  };

  # yarn's offline cache, fetched by hand: a fixed-output derivation with no attribute path
  offlineCache = stdenv.mkDerivation {
    name = "skyview-${version}-yarn-offline-cache";
    inherit src;
    nativeBuildInputs = [ yarn ];
    buildPhase = ''
      grep -E '^  (resolved|integrity) ' yarn.lock > offline.txt
    '';
    installPhase = ''
      mkdir -p $out
      cp offline.txt $out/
    '';
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
    outputHash = "sha256-ENk8J8TmWnEX4a9h7J5i0OtCFq7EJ9D0lM8/YHrdvNo=";
  };
in
stdenv.mkDerivation {
  pname = "skyview";
  inherit version src;
  nativeBuildInputs = [
    nodejs
    yarn
  ];
  preBuild = ''
    cp -R ${offlineCache} ./offline-cache
  '';
  meta.license = lib.licenses.agpl3Only;
}
