{ pkgs }:
let
  inherit (pkgs) callPackage;
in
{
  relay = callPackage ./bigsky.nix { };
  goat = callPackage ./goat.nix { };
  palomar = callPackage ./palomar.nix { };
  hepa = callPackage ./hepa.nix { };
  rainbow = callPackage ./rainbow.nix { };
  sonar = callPackage ./sonar.nix { };
}
