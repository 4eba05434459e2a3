"""The engine: from "this source should move to that version" to one verified commit.

Read a run top to bottom: units.py (which pins move together) -> targets.py (where to) ->
plan.py (every edit and every hash to refresh) -> apply.py (write, then let Nix compute each
hash in hashes.py's order) -> verify.py -> unit.py (worktree, commit) -> runner.py (many units).
"""
