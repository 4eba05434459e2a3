"""Running Nix: the one runner (runner.py starts every process of this layer), evaluation
(inspect.py), hash-mismatch parsing, hash-fixing builds and their locks, direct prefetching.
Hash notations themselves live in `updater.nixhash`. Nothing here knows a forge or a .nix pin."""
