{
  lib,
  stdenv,
  fetchFromGitHub,
  nodejs,
  pnpm_10,
}:
stdenv.mkDerivation (finalAttrs: {
  pname = "pnpmapp";
  version = "1.0.0";

  src = fetchFromGitHub {
    owner = "hw-example";
    repo = "pnpmapp";
    tag = "v${finalAttrs.version}";
    hash = "sha256-TnWtZfCWYeAYwjwVLMzYTD1PWvve3t3EvdYfhd8aJ0M=";
  };

  pnpmDeps = pnpm_10.fetchDeps {
    inherit (finalAttrs) pname version src;
    fetcherVersion = 2;
    hash = "sha256-NEdOFd98WhlFWSfHXaWe2SdbaRk0rxo+1mldLKbZ/SQ=";
  };

  nativeBuildInputs = [
    nodejs
    pnpm_10.configHook
  ];
})
