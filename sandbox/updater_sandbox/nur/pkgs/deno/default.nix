{ pkgs }:
{
  deno-bot = pkgs.callPackage ./deno-bot.nix { };
}
