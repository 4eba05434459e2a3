{ pkgs }:
{
  feedgen = pkgs.callPackage ./feedgen.nix { };
  blobstore = pkgs.callPackage ./blobstore.nix { };
}
