{ stdenv, fetchFromGitea }:
stdenv.mkDerivation rec {
  pname = "blobstore";
  version = "0.9.0";

  src = fetchFromGitea {
    domain = "codeberg.org";
    owner = "blob-example";
    repo = "blobstore";
    rev = "v${version}";
    hash = "sha256-08g6h2x045q0ha4qx8lfqdf76mb6p5f001610ql7scxk4mminl6j";
  };
}
