"""Where versions come from: one module per kind of forge, all on one HTTP client layer."""
