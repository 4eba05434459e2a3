{
  lib,
  stdenv,
  fetchFromGitHub,
  fetchNpmDeps,
  nodejs,
}:
stdenv.mkDerivation rec {
  pname = "npmapp";
  version = "1.0.0";

  src = fetchFromGitHub {
    owner = "hw-example";
    repo = "npmapp";
    rev = "v${version}";
    hash = "sha256-H36tbZpgMDSqJrhmgaVEyWs0d/GFqGeeHu4tfuxABGw=";
  };

  npmDeps = fetchNpmDeps {
    name = "${pname}-${version}-npm-deps";
    inherit src;
    hash = "sha256-/VuiAUXaDo+XpX/whdS2pFjyckyCXiMQYiccFggtY60=";
  };

  nativeBuildInputs = [ nodejs ];
}
