{
  lib,
  rustPlatform,
  fetchFromGitHub,
}:

rustPlatform.buildRustPackage rec {
  pname = "cyme";
  version = "2.1.0";

  src = fetchFromGitHub {
    owner = "cyme-example";
    repo = "cyme";
    rev = "v${version}";
    hash = "sha256-FhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU=";
  };

  cargoHash = "sha256-HR4fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw=";
}
