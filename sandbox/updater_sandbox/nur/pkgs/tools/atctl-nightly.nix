{ stdenv, fetchzip }:
stdenv.mkDerivation {
  pname = "atctl-nightly";
  version = "latest";

  # floats: whatever the newest release is
  src = fetchzip {
    url = "https://github.com/atctl-example/atctl/releases/latest/download/atctl-linux-amd64.tar.gz";
    hash = "sha256-A3TIlFneDLR8ZNXTfEj+EF38oVKxyly9s5ZiMjdjz/0=";
  };
}
