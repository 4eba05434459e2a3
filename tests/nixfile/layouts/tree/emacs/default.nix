{ callPackage, sources }:
{
  pyim-dict = callPackage ./pyim-dict.nix { };
}
