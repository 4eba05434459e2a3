"""`updater serve`: scheduled runs of the pipeline, the run lock, the HTTP status page, /metrics."""
