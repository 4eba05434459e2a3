#!/usr/bin/env bash
# Sets everything up (scripts/bootstrap.sh) and runs the whole test suite: lint (with the
# complexity rules), types, the layer contracts (import-linter, [tool.importlinter] in
# pyproject.toml), tests.
set -euo pipefail
cd "$(dirname "$0")/.."
UPDATER_WITH_BROWSER=1 UPDATER_WITH_POSTGRES=1 bash scripts/bootstrap.sh

export PYTHONDONTWRITEBYTECODE=1
.venv/bin/ruff check updater sandbox tests bench
.venv/bin/ruff format --check updater sandbox tests bench
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
set +e
.venv/bin/pytest -p no:cacheprovider "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
  echo "test.sh: pytest collected no tests" >&2
  exit 1
fi
exit "$code"
