{ pkgs }:
{
  atctl = pkgs.callPackage ./atctl.nix { };
  atctl-static = pkgs.callPackage ./atctl-static.nix { };
  atctl-nightly = pkgs.callPackage ./atctl-nightly.nix { };
}
