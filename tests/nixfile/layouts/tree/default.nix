{ pkgs ? import <nixpkgs> { } }:
let
  inherit (pkgs) lib;
  fromDir = lib.mapAttrs (name: _: pkgs.callPackage (./pkgs + "/${name}") { }) (
    lib.filterAttrs (_: type: type == "directory") (builtins.readDir ./pkgs)
  );
  scope = lib.makeScope pkgs.newScope (self: {
    sources = self.callPackage ./_sources/generated.nix { };
    emacsPackages = lib.recurseIntoAttrs (self.callPackage ./emacs { });
    fishPlugins = lib.recurseIntoAttrs (self.fishPluginsFor pkgs.fish);
    fishPluginsFor = fish: self.callPackage ./fish { inherit fish; };
    vimPlugins = self.callPackage ./vim { };
  });
in
fromDir
// {
  inherit (scope) emacsPackages fishPlugins vimPlugins;
  bed-tool = scope.callPackage ./bed-tool.nix { };
  bed = scope.bed-tool; # an alias
}
