# The bot the Nix way: a package, an app and a NixOS module.
#   nix build ./deploy/nixos#updater        nix run ./deploy/nixos -- check
#   nix build 'github:OWNER/updater?dir=deploy/nixos#updater'
# In a NixOS configuration:
#   inputs.updater.url = "github:OWNER/updater?dir=deploy/nixos";
#   modules = [ inputs.updater.nixosModules.default { services.updater.enable = true; } ];
# The flake lives beside the module rather than at the repository root so that the repository
# stays a plain Python project; Nix copies the whole repository, so ../.. is its root.
{
  description = "updater: keeps the pins of a Nix package repository fresh";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (pkgs: rec {
        updater = pkgs.callPackage ./package.nix { };
        default = updater;
      });

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = nixpkgs.lib.getExe self.packages.${pkgs.stdenv.hostPlatform.system}.updater;
        };
      });

      overlays.default = final: _prev: { updater = final.callPackage ./package.nix { }; };

      nixosModules.default =
        { pkgs, lib, ... }:
        {
          imports = [ ./module.nix ];
          services.updater.package = lib.mkDefault
            self.packages.${pkgs.stdenv.hostPlatform.system}.updater;
        };
      nixosModules.updater = self.nixosModules.default;
    };
}
