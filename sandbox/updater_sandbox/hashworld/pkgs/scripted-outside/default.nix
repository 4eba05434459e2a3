{ lib, stdenv, writeShellScript }:
let
  pinned = builtins.fromJSON (builtins.readFile ./version.json);
in
stdenv.mkDerivation {
  pname = "scripted-outside";
  inherit (pinned) version;
  buildCommand = ''
    mkdir -p $out/bin
    printf '#!/bin/sh\necho %s\n' "$name" > $out/bin/scripted-outside
  '';
  passthru.updateScript = [
    (writeShellScript "update-scripted-outside" (builtins.readFile ../update-script.sh))
    "outside"
  ];
}
