{ lib, stdenv, writeShellScript }:
let
  pinned = builtins.fromJSON (builtins.readFile ./version.json);
in
stdenv.mkDerivation {
  pname = "scripted-commit";
  inherit (pinned) version;
  buildCommand = ''
    mkdir -p $out/bin
    printf '#!/bin/sh\necho %s\n' "$name" > $out/bin/scripted-commit
  '';
  passthru.updateScript = {
    command = [
      (writeShellScript "update-scripted-commit" (builtins.readFile ../update-script.sh))
      "commit"
    ];
    supportedFeatures = [ "commit" ];
  };
}
