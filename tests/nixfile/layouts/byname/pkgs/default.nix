{ pkgs }:
let
  inherit (pkgs) lib newScope;
in
lib.makeScope newScope (
  self:
  with self;
  (lib.foldlAttrs (
    acc: _: attrs:
    acc // attrs
  ) { } (lib.packagesFromDirectoryRecursive {
    inherit callPackage;
    directory = ./by-name;
  }))
  // {
    python3Packages = lib.recurseIntoAttrs (callPackage ./python { });
    fetchmirror = callPackage ./build-support/fetchmirror { };
    craneLib = pkgs.crane.mkLib pkgs;
    meta-info = {
      maintainer = "someone";
    };
  }
)
