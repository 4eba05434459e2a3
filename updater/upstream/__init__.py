"""Where versions come from: one module per kind of forge, all on one HTTP client layer.

It knows no .nix file, pull request or engine: it answers `SourceRequest`s with snapshots of
what each source offers; engine/tracking.py decides what to do with them."""
