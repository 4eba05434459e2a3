{ stdenv, fetchFromGitHub }:
stdenv.mkDerivation {
  pname = "indigo-palomar";
  version = "unstable";

  src = fetchFromGitHub {
    owner = "indigo-example";
    repo = "indigo";
    rev = "7bfb8eaa9712a55f6fce2a90376205b36d28ba24";
    hash = "sha256-21Y/udh5Ub7CEt9c11FxLJcKQtbVxs8kFiqpskMyNP8=";
  };
  sourceRoot = "source/cmd/palomar";

  meta.description = "indigo palomar (fixture)";
}
