{
  pkgs ? import <nixpkgs> { },
}:
let
  lib = pkgs.lib;
in
lib.packagesFromDirectoryRecursive {
  callPackage = pkgs.callPackage;
  directory = ./pkgs;
}
|> lib.filterAttrs (_: v: v != null)
