"""updater: keeps the pins of a Nix package repository fresh."""

__version__ = "0.1.0"
