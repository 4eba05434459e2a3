# The hash world's NUR: `nix-build <this directory> -A <attribute>`.
{ pkgs ? import <nixpkgs> { } }:
import ./pkgs { inherit pkgs; }
