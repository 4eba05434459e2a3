"""How versions compare (Nix's compareVersions) and which upstream release a package should take."""
