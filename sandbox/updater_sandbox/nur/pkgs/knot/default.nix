{ pkgs }:
let
  services = pkgs.callPackage ./services.nix { };
in
{
  inherit (services)
    lexicons
    appview
    knotserver
    spindle
    jetstream
    keyfetch
    repoguard
    labeler
    camo
    avatar
    notify
    guard
    tap
    ;
}
