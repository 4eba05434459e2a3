"""The one pipeline: scan -> check -> update -> deliver, for `updater run`, `serve` and `demo`."""
