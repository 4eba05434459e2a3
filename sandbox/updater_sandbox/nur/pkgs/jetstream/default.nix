{ pkgs }:
{
  jetstream = pkgs.callPackage ./jetstream.nix { };
}
