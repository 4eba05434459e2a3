{ pkgs }:
{
  plc-mirror = pkgs.callPackage ./plc-mirror.nix { };
}
