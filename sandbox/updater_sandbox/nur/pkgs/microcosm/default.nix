{ pkgs }:
let
  craneLib = pkgs.crane.mkLib pkgs;
in
{
  constellation = pkgs.callPackage ./constellation.nix { inherit craneLib; };
  spacedust = pkgs.callPackage ./spacedust.nix { inherit craneLib; };
}
