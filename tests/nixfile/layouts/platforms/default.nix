{ pkgs ? import <nixpkgs> { } }:
{
  dash = pkgs.callPackage ./dash.nix { };
  workerd = pkgs.callPackage ./workerd.nix { };
  tailwind = pkgs.callPackage ./tailwind.nix { };
  goapp = pkgs.callPackage ./goapp.nix { };
}
