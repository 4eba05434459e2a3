{ pkgs }:
{
  skyview = pkgs.callPackage ./skyview.nix { };
}
