{ lib, buildNpmPackage, fetchgit }:
buildNpmPackage {
  pname = "ozone-labeler";
  version = "v0.5.0-alpha.4";

  src = fetchgit {
    url = "https://gitlab.com/labelgroup/ozone-labeler.git";
    rev = "91cde2b6495186f828fe3fbc12dcb7c3293a1ca7";
    sha256 = "sha256-5LJ0KxwAcWrOATG1QA7AUBrBzgstEMnKIqaRCXv3duc=";
  };

  npmDepsHash = "sha256-SB3gKTfCxKwigk6DWwypp6h1udmK4NRdmr/FxoIsWLI=";

  meta.license = lib.licenses.mit;
}
