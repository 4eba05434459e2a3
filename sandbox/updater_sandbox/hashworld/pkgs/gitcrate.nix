{ lib, rustPlatform, fetchFromGitHub }:
rustPlatform.buildRustPackage rec {
  pname = "gitcrate";
  version = "1.0.0";

  src = fetchFromGitHub {
    owner = "hw-example";
    repo = "gitcrate";
    rev = "v${version}";
    hash = "sha256-XxQt9dAna1eeqmglMeN8l66quwQAmhOFTFFm+qXvWSU=";
  };

  cargoLock = {
    lockFile = "${src}/Cargo.lock";
    outputHashes = {
      "gitdep-0.1.0" = "sha256-LNc53FHkNissW3oZ31OTUBgf7fKXJga3AuYKt9BJQYo=";
    };
  };
}
