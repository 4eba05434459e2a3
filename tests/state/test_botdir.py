"""The bot's `.updater/` directory is made by whoever comes first, two runs at once included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from updater.botdir import ensure_dir

MAKE = (
    "import sys; from pathlib import Path; from updater.botdir import ensure_dir; "
    "ensure_dir(Path(sys.argv[1]))"
)


def test_runs_starting_together_both_find_the_directory(tmp_path: Path) -> None:
    for n in range(10):
        where = tmp_path / f"repo{n}" / ".updater"
        procs = [
            subprocess.Popen([sys.executable, "-c", MAKE, str(where)], stderr=subprocess.PIPE)
            for _ in range(4)
        ]
        errors = [p.communicate(timeout=60)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
        assert (where / ".gitignore").read_text() == "*\n"


def test_only_the_bots_own_directory_ignores_itself(tmp_path: Path) -> None:
    ensure_dir(tmp_path / "state")
    assert not (tmp_path / "state" / ".gitignore").exists()
    ensure_dir(tmp_path / ".updater")
    (tmp_path / ".updater" / ".gitignore").write_text("*\n# kept\n")
    ensure_dir(tmp_path / ".updater")  # an existing one is left as it is
    assert (tmp_path / ".updater" / ".gitignore").read_text() == "*\n# kept\n"
