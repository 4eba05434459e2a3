{ callPackage }:
{
  widgetlib = callPackage ./widgetlib.nix { };
}
