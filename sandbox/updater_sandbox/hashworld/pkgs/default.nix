# One package per kind of fixed-output hash (see ../../hashspec.py for their upstreams).
{ pkgs ? import <nixpkgs> { } }:
{
  stale = pkgs.callPackage ./stale.nix { };
  crate = pkgs.callPackage ./crate.nix { };
  yarnapp = pkgs.callPackage ./yarnapp.nix { };
  pnpmapp = pkgs.callPackage ./pnpmapp.nix { };
  npmapp = pkgs.callPackage ./npmapp.nix { };
  goproxy = pkgs.callPackage ./goproxy.nix { };
  gomods = pkgs.callPackage ./gomods.nix { };
  bins = pkgs.callPackage ./bins.nix { };
  nodemods = pkgs.callPackage ./nodemods.nix { };
  gitcrate = pkgs.callPackage ./gitcrate.nix { };
  gitswap = pkgs.callPackage ./gitswap.nix { };
  subpkg = pkgs.callPackage ./subpkg.nix { };
  lockcrate = pkgs.callPackage ./lockcrate { };
  scripted-hang = pkgs.callPackage ./scripted-hang { };
  scripted-downgrade = pkgs.callPackage ./scripted-downgrade { };
  scripted-outside = pkgs.callPackage ./scripted-outside { };
  scripted-commit = pkgs.callPackage ./scripted-commit { };
  scripted-plain = pkgs.callPackage ./scripted-plain { };
}
