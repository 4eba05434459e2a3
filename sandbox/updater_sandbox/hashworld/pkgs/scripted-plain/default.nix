{ lib, stdenv, writeShellScript }:
let
  pinned = builtins.fromJSON (builtins.readFile ./version.json);
in
stdenv.mkDerivation {
  pname = "scripted-plain";
  inherit (pinned) version;
  buildCommand = ''
    mkdir -p $out/bin
    printf '#!/bin/sh\necho %s\n' "$name" > $out/bin/scripted-plain
  '';
  passthru.updateScript = [
    (writeShellScript "update-scripted-plain" (builtins.readFile ../update-script.sh))
    "plain"
  ];
}
