"""`updater serve`: scheduled runs, the run lock, sharding, the HTTP status page and /metrics."""
