{ pkgs }:
{
  gatekeeper = pkgs.callPackage ./pds-gatekeeper.nix { };
}
