{ callPackage, sources, fish }:
{
  bang-bang = callPackage ./bang-bang.nix { };
}
