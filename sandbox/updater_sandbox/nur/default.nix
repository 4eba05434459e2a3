# The fixture NUR: `nix-build <this directory> -A <attribute>`.
{ pkgs ? import <nixpkgs> { } }:
import ./pkgs { inherit pkgs; }
