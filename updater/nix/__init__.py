"""Running Nix: the subprocess runner, hash-mismatch parsing, evaluation helpers, hash-fixing
builds and direct prefetching. Hash notations themselves live in `updater.nixhash`."""
