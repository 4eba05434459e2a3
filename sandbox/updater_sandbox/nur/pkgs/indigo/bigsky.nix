{ lib, buildGoModule, fetchFromGitHub }:
buildGoModule {
  pname = "indigo-relay";
  version = "unstable";

  src = fetchFromGitHub {
    owner = "indigo-example";
    repo = "indigo";
    rev = "7bfb8eaa9712a55f6fce2a90376205b36d28ba24";
    hash = "sha256-21Y/udh5Ub7CEt9c11FxLJcKQtbVxs8kFiqpskMyNP8=";
  };

  vendorHash = "sha256-Xbv6dWHI4+n250BYK26m0XUWhFwjKQsmLJeGHbwahbI=";
  subPackages = [ "cmd/relay" ];

  meta = {
    description = "atproto relay (fixture)";
    license = lib.licenses.mit;
    mainProgram = "relay";
  };
}
