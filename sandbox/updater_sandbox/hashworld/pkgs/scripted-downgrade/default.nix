{ lib, stdenv, writeShellScript }:
let
  pinned = builtins.fromJSON (builtins.readFile ./version.json);
in
stdenv.mkDerivation {
  pname = "scripted-downgrade";
  inherit (pinned) version;
  buildCommand = ''
    mkdir -p $out/bin
    printf '#!/bin/sh\necho %s\n' "$name" > $out/bin/scripted-downgrade
  '';
  passthru.updateScript = [
    (writeShellScript "update-scripted-downgrade" (builtins.readFile ../update-script.sh))
    "downgrade"
  ];
}
