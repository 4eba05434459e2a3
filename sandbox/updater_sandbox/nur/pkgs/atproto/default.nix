# One source for the whole monorepo; the package files take it as an argument and fetch nothing.
{ pkgs }:
let
  inherit (pkgs) callPackage fetchFromGitHub;

  version = "0.1.0";
  src = fetchFromGitHub {
    owner = "bluesky-example";
    repo = "atproto";
    rev = "0c59a912fd9e092972258d5d2518add3cec22ce6"; # main after 0.1.0
    hash = "sha256-UzLQIAFje6P0At16VP9tDXuD2Bw1cf+p6hl52bMaDro=";
  };
in
{
  api = callPackage ./api.nix { inherit src version; };
  pds = callPackage ./pds.nix { inherit src version; };
  bsync = callPackage ./bsync.nix { inherit src version; };
  ozone = callPackage ./ozone.nix { inherit src version; };
  lex = callPackage ./lex-cli.nix { inherit src version; };
  xrpc = callPackage ./xrpc.nix { inherit src version; };
  identity = callPackage ./identity.nix { inherit src version; };
  repo = callPackage ./repo.nix { inherit src version; };
  syntax = callPackage ./syntax.nix { inherit src version; };
  crypto = callPackage ./crypto.nix { inherit src version; };
  sync = callPackage ./sync.nix { inherit src version; };
}
