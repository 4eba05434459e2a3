{ lib, stdenv, fetchFromGitea, nodejs, pnpm_9 }:
stdenv.mkDerivation (finalAttrs: {
  pname = "feedgen";
  version = "1.0.0-rc.5";

  src = fetchFromGitea {
    domain = "codeberg.org";
    owner = "feeduser";
    repo = "feedgen";
    rev = "71bed8df3632267b33c4637e7562c65529a33808";
    hash = "sha256-d0058zvWafFp29sbwZT4mvRTcHM4hBTAAFd4m5bAKEw=";
  };

  pnpmDeps = pnpm_9.fetchDeps {
    inherit (finalAttrs) pname version src;
    hash = "sha256-5KKLoP7puaLs0g97dWrFFsRhWX2dJZQ/lTaujIgEWHo=";
  };

  nativeBuildInputs = [
    nodejs
    pnpm_9.configHook
  ];

  meta.description = "Feed generator (fixture)";
})
