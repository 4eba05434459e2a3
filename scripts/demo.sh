#!/usr/bin/env bash
# Sets everything up (scripts/bootstrap.sh) and runs the main job on the embedded default:
# the built-in demo world (local forge, upstreams, a sample NUR) with SQLite state.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/updater demo "$@"
