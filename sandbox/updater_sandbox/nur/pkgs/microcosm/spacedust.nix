{ craneLib, fetchgit }:
craneLib.buildPackage rec {
  pname = "spacedust";
  version = "unstable";
  src = fetchgit {
    url = "https://tangled.org/@microcosm.example/microcosm-rs";
    rev = "29dd91239e111507fb6facb908c9d25cf181fd9a";
    hash = "sha256-kWZDsVD+FrdOj339E+/dgEJhewhZo6TTUc7Y1bs9z9g=";
  };
  sourceRoot = "${src.name}/spacedust";
}
