{ pkgs }:
{
  ozone-labeler = pkgs.callPackage ./ozone-labeler.nix { };
}
