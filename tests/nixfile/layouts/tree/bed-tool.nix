{ stdenv, fetchFromGitHub }:
stdenv.mkDerivation {
  pname = "bed";
  version = "0.2.5";
  src = fetchFromGitHub {
    owner = "bed-example";
    repo = "bed";
    rev = "v0.2.5";
    hash = "sha256-VVZXWFlaW1xdXl9gYWJjZGVmZ2hpamtsbW5vcHFyc3Q=";
  };
  dontPatchELF = true;
}
