{
  lib,
  rustPlatform,
  fetchFromGitHub,
}:
rustPlatform.buildRustPackage rec {
  pname = "lockcrate";
  version = "1.0.0";

  src = fetchFromGitHub {
    owner = "hw-example";
    repo = "lockcrate";
    rev = "v${version}";
    hash = "sha256-k+ErInofdSXtjApjoLf69cq0KxtdUYwzkySQru4m/3M=";
  };

  # a copy of the upstream's lock, kept beside this file
  cargoLock = {
    lockFile = ./Cargo.lock;
    outputHashes = {
      "gitdep-0.1.0" = "sha256-LNc53FHkNissW3oZ31OTUBgf7fKXJga3AuYKt9BJQYo=";
    };
  };
}
