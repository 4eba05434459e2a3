{ pkgs ? import <nixpkgs> { } }:
let
  nurAttrs = import ./default.nix { inherit pkgs; };
in
{
  buildPkgs = builtins.filter (p: p ? outPath) (builtins.attrValues nurAttrs);
}
