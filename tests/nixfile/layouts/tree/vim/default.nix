{ lib, vimUtils, pkgs }:
let
  sources = import ./npins;
in
lib.mapAttrs' (
  name: src:
  lib.nameValuePair name (
    vimUtils.buildVimPlugin {
      pname = name;
      version = src.revision;
      inherit src;
    }
  )
) sources
