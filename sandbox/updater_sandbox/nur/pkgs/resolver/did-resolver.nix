{ stdenv, fetchgit }:
stdenv.mkDerivation {
  pname = "did-resolver";
  version = "0.1.0";

  src = fetchgit {
    url = "https://git.example.org/tools/handle-resolver.git";
    rev = "6237a88eef45a31dbdccd2bbdc40f8f28230ed06";
    sha256 = "sha256-30beb3956442d7231ac3ae155a2fce0fc992b63c53a41f55dda55944802940d5";
  };
}
