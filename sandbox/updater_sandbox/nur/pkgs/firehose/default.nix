{ pkgs }:
{
  firehose-tools = pkgs.callPackage ./firehose-tools.nix { };
  explorer = pkgs.callPackage ./explorer.nix { };
}
