{ pkgs }:
{
  handle-resolver = pkgs.callPackage ./handle-resolver.nix { };
  did-resolver = pkgs.callPackage ./did-resolver.nix { };
}
