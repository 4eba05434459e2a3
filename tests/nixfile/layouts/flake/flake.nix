{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      forAllSystems = nixpkgs.lib.genAttrs [
        "x86_64-linux"
        "aarch64-linux"
      ];
    in
    {
      packages = forAllSystems (
        system:
        let
          pkgs = nixpkgs.legacyPackages.${system};
        in
        import ./default.nix { inherit pkgs; }
      );
      overlays.default = final: prev: {
        gizmo = final.callPackage ./overlay/gizmo.nix { };
      };
      nixosModules.default = ./module.nix;
    };
}
