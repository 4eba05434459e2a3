{ pkgs, lib, ... }:
pkgs.buildGoModule rec {
  pname = "jetstream";
  version = "0.2.0";

  src = pkgs.fetchFromGitHub {
    owner = "bluesky-example";
    repo = "jetstream";
    rev = "v${version}";
    hash = "sha256-x5Iw1cfP8XkFC48AVVPXR32N7nlnkX3acMPk1I8GS3U=";
  };

  vendorHash = "sha256-yLHV1/U/A/hbcfRxIpGoU2O/V5c5R1nd+1sRQjdIbCA=";

  meta = {
    description = "Simplified JSON event stream (fixture)";
    homepage = "https://github.com/bluesky-example/jetstream";
    license = lib.licenses.mit;
  };
}
