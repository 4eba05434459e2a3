{
  lib,
  rustPlatform,
  fetchFromGitHub,
}:
rustPlatform.buildRustPackage rec {
  pname = "gitswap";
  version = "1.0.0";

  src = fetchFromGitHub {
    owner = "hw-example";
    repo = "gitswap";
    rev = "v${version}";
    hash = "sha256-tHZEPeRLL1E0vnzvSE9axz383S7DtD2sAfCZpU40JxY=";
  };

  cargoLock = {
    lockFile = "${src}/Cargo.lock";
    outputHashes = {
      "gitdep1-0.1.0" = "sha256-LmeV4eIbcCiGbQyu2WLU6zwzU1ArL1aKCnPY9eIi/QA=";
    };
  };
}
