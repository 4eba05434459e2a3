final: prev: import ./default.nix { pkgs = prev; }
