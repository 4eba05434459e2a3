{
  lib,
  stdenv,
  fetchFromGitHub,
  fetchYarnDeps,
  nodejs,
  yarn,
}:
stdenv.mkDerivation (finalAttrs: {
  pname = "yarnapp";
  version = "1.0.0";

  src = fetchFromGitHub {
    owner = "hw-example";
    repo = "yarnapp";
    rev = "v${finalAttrs.version}";
    hash = "sha256-Z4jGTgPl2/DwaOXo6CByiSuD6EWQicjt3Hp5mi58fKc=";
  };

  yarnOfflineCache = fetchYarnDeps {
    yarnLock = "${finalAttrs.src}/yarn.lock";
    hash = "sha256-/YpdDHel6xO7ERd6j4bq6Jbnyav2pgj3eApCx6/gqRw=";
  };

  nativeBuildInputs = [
    nodejs
    yarn
  ];
})
