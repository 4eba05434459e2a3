{ lib, stdenv, writeShellScript }:
let
  pinned = builtins.fromJSON (builtins.readFile ./version.json);
in
stdenv.mkDerivation {
  pname = "scripted-hang";
  inherit (pinned) version;
  buildCommand = ''
    mkdir -p $out/bin
    printf '#!/bin/sh\necho %s\n' "$name" > $out/bin/scripted-hang
  '';
  passthru.updateScript = [
    (writeShellScript "update-scripted-hang" (builtins.readFile ../update-script.sh))
    "hang"
  ];
}
