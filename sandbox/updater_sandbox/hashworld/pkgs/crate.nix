{
  lib,
  rustPlatform,
  fetchFromGitHub,
}:
rustPlatform.buildRustPackage rec {
  pname = "crate";
  version = "1.0.0";

  src = fetchFromGitHub {
    owner = "hw-example";
    repo = "crate";
    tag = "v${version}";
    hash = "sha256-AhmRA+C384xALdenTZP+2tot2gl96LtEi0HdFsu8P98=";
  };

  useFetchCargoVendor = true;
  cargoHash = "sha256-ThDtIJSKqZWHB+BKWE1VEzmr1b2CvPvKxe3lHGhTlsY=";

  meta.mainProgram = "crate";
}
