"""`updater doctor`: is this machine, this repository and these credentials ready for the bot?

One row per check (model.py); each group of checks is a module of its own: nix.py (found,
version, can it build a fixed-output derivation), git.py (git, the bot's identity, the
repository: checkout, base branch, remote, packages), settings.py (the configuration: valid,
every `[packages.X]` known, the schedule), credentials.py (present and well-formed; with
`--online` the forge answers and the token may push), store.py (the state store opens, migrates
and is writable). report.py runs them all in order.
"""
