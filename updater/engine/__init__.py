"""The engine: from "this source should move to that version" to one verified commit.

Read a run top to bottom: units.py (which pins move together) -> tracking.py (their source,
policy and the upstream's decision) -> target.py (where to) -> plan.py (every edit and every hash
to refresh) -> apply.py (write, then let Nix compute each hash in hashes.py's order) ->
verify.py -> update.py (worktree, commit) -> parallel.py (many units).
"""
