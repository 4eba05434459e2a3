{
  lib,
  fetchFromGitHub,
  buildGoModule,
}:

buildGoModule {
  pname = "asciinema-edit";
  version = "0.0.6-unstable-2019-01-30";

  src = fetchFromGitHub {
    owner = "ae-example";
    repo = "asciinema-edit";
    rev = "0123456789abcdef0123456789abcdef01234567";
    hash = "sha256-R0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2BhYmNkZWY=";
  };

  vendorHash = "sha256-Tk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG0=";
}
