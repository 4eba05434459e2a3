{ stdenv, fetchgit }:
stdenv.mkDerivation {
  pname = "handle-resolver";
  version = "unstable";

  src = fetchgit {
    url = "https://git.example.org/tools/handle-resolver.git";
    rev = "HEAD";
    hash = "sha256-2EJeQJLxzgi8nuAULi/PYUEP/LNfieJIzhNbDnae6tc=";
  };
}
