{
  lib,
  stdenv,
  fetchFromGitHub,
}:
stdenv.mkDerivation {
  pname = "firehose-tools";
  version = "0.3.0";

  src = fetchFromGitHub {
    owner = "firehose-example";
    repo = "firehose-tools";
    rev = "b35a53e21582368596f21d9c8c2a6dcfc6264ceb";
    sha256 = "sha256:" + "0xccqm8sa7c1kh6gzwp958w7jvzbjrqb2gnrfz2gnhms3kdsdbxv";
  };

  meta.license = lib.licenses.asl20;
}
