{ pkgs }:
{
  feed-proxy = pkgs.callPackage ./feed-proxy.nix { };
}
