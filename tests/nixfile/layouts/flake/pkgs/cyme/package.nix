{
  lib,
  stdenv,
  fetchFromGitHub,
}:
stdenv.mkDerivation {
  pname = "cyme";
  version = "1.0.0";
  src = fetchFromGitHub {
    owner = "cyme-example";
    repo = "cyme";
    rev = "0123456789abcdef0123456789abcdef01234567";
    hash = "sha256-KywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRkdISUo=";
  };
  # a comment with |> is not an operator
  passthru.description = "pipes |> in a string";
}
