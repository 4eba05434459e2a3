{
  pkgs ? import <nixpkgs> { },
}:

{
  modules = import ./modules;
}
// (pkgs.lib.optionalAttrs (builtins.tryEval pkgs).success (import ./pkgs { inherit pkgs; }))
