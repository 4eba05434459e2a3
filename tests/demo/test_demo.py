"""`updater demo` as a person runs it: a real process, the real world, Nix, the forge, Ctrl-C.

What a person relies on: it ends with a where-to-look block whose paths and URLs are right,
the pull requests and the dashboard issue really are on the forge (read through the forge's
API, and the pushed branches in its bare repository), the NUR checkout is left as it was, and
nothing keeps running after it exits.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from updater_sandbox.world import FAKE_TOKEN

UPDATER = [sys.executable, "-m", "updater"]
CYCLE_TIMEOUT = 300.0
NUR_REPO = "nur-owner/nur"


def _env() -> dict[str, str]:
    # The caller's git, GitHub and Nix settings must not reach the demo (it brings its own).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_", "NIX_"))}
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    return env


def _git(args: list[str], cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, bytes(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _processes_of(marker: str) -> list[str]:
    """Live processes whose command line or environment names `marker` (the world's dir)."""
    found = []
    needle = marker.encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if needle in cmdline or needle in environ:
            shown = cmdline.replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{proc.name}: {shown}")
    return found


def _block(stdout: str) -> dict[str, str]:
    """The where-to-look block: label -> first value."""
    assert "Where to look" in stdout, stdout
    fields = {}
    for label in ("status page", "pull requests", "dashboard issue", "NUR checkout", "state db"):
        m = re.search(rf"^  {label} +(\S+)", stdout, re.M)
        assert m, f"no {label!r} line in:\n{stdout}"
        fields[label] = m[1]
    return fields


def _check_block(fields: dict[str, str], root: Path, stdout: str) -> list[str]:
    """The block's paths are the real ones; returns the branches its `git log` hints name."""
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", fields["status page"])
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/pulls", fields["pull requests"])
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/issue/\d+", fields["dashboard issue"])
    nur = Path(fields["NUR checkout"])
    assert nur == root / "world" / "nur"
    assert Path(fields["state db"]) == root / "state.db" and (root / "state.db").is_file()
    hinted = re.findall(rf"git -C {re.escape(str(nur))} log --oneline -p main\.\.(\S+)", stdout)
    assert hinted and all(b.startswith("updater/") for b in hinted)
    return hinted


def _check_checkout_untouched(nur: Path) -> None:
    assert _git(["status", "--porcelain", "--untracked-files=all"], nur) == ""
    assert _git(["branch", "--show-current"], nur) == "main"
    assert _git(["log", "--format=%s", "HEAD"], nur) == "Initial NUR"


def _check_pulls(pulls: list[dict[str, Any]], bare: Path, nur: Path, hinted: list[str]) -> None:
    """Each open PR's branch was pushed (the bare repo has it at the PR's head sha) and is the
    bot's commit in the checkout."""
    open_pulls = [p for p in pulls if p["state"] == "open"]
    assert len(open_pulls) >= 5, [p["title"] for p in pulls]
    heads = {p["head"]["ref"]: p["head"]["sha"] for p in open_pulls}
    assert set(hinted) <= set(heads)
    for ref, sha in heads.items():
        assert ref.startswith("updater/")
        assert _git(["rev-parse", f"refs/heads/{ref}"], bare) == sha
        assert _git(["rev-parse", ref], nur) == sha
    assert {p["base"]["ref"] for p in open_pulls} == {"main"}


def _check_dashboard(issue: dict[str, Any], pulls: list[dict[str, Any]]) -> None:
    assert issue["state"] == "open" and issue["title"] == "Updater dashboard"
    for p in pulls:
        assert f"#{p['number']}" in issue["body"]


@pytest.mark.nix
@pytest.mark.slow
def test_demo_once_runs_a_full_cycle_and_leaves_pulls_and_a_clean_checkout(
    tmp_path: Path,
) -> None:
    root = tmp_path / "demo"
    started = time.monotonic()
    proc = subprocess.run(
        [*UPDATER, "demo", "--once", "--dir", str(root)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=CYCLE_TIMEOUT,
        check=False,
    )
    took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert took < 180, f"the demo took {took:.0f}s"
    fields = _block(proc.stdout)
    hinted = _check_block(fields, root, proc.stdout)
    assert "Press Ctrl-C" not in proc.stdout
    # The progress told the story: PRs opened, the dashboard, the fixture's deliberate skips.
    assert re.search(r"PR #\d+ opened", proc.stderr)
    assert re.search(r"dashboard issue #\d+ up to date", proc.stderr)
    assert "floating reference" in proc.stderr

    nur = root / "world" / "nur"
    bare = root / "world" / "forge" / "github.com" / "nur-owner" / "nur.git"
    _check_checkout_untouched(nur)
    # With --once the forge is gone; what it served is kept as JSON beside the world.
    pulls = json.loads((root / "forge-snapshot" / "pulls.json").read_text())
    _check_pulls(pulls, bare, nur, hinted)
    dashboard = json.loads((root / "forge-snapshot" / "dashboard.json").read_text())
    assert fields["dashboard issue"].endswith(f"/issue/{dashboard['number']}")
    _check_dashboard(dashboard, [p for p in pulls if p["state"] == "open"])
    assert _processes_of(str(root)) == []


@pytest.mark.nix
@pytest.mark.slow
def test_demo_serves_until_ctrl_c_then_stops_everything(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        # A session of its own: Ctrl-C on a terminal reaches the whole process group.
        proc = subprocess.Popen(
            [*UPDATER, "demo", "--dir", str(root)],
            env=_env(),
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + CYCLE_TIMEOUT
        while "Press Ctrl-C" not in out.read_text():
            assert proc.poll() is None, err.read_text()[-3000:]
            assert time.monotonic() < deadline, "no where-to-look block"
            time.sleep(0.5)
        text = out.read_text()
        fields = _block(text)
        hinted = _check_block(fields, root, text)

        # The forge itself, through its API and the world's token.
        forge = re.search(r"forge at (http://127\.0\.0\.1:\d+)", err.read_text())
        assert forge, err.read_text()
        api = f"{forge[1]}/api/v3/repos/{NUR_REPO}"
        status, body = _get(f"{api}/pulls?state=open&per_page=100", FAKE_TOKEN)
        assert status == 200
        pulls = json.loads(body)
        nur = root / "world" / "nur"
        _check_pulls(
            pulls, root / "world" / "forge" / "github.com" / "nur-owner" / "nur.git", nur, hinted
        )
        number = int(fields["dashboard issue"].rsplit("/", 1)[1])
        status, body = _get(f"{api}/issues/{number}", FAKE_TOKEN)
        assert status == 200
        _check_dashboard(json.loads(body), pulls)

        # What the block links to works in a browser (no token): the viewer and the page.
        status, body = _get(fields["pull requests"])
        assert status == 200
        assert sorted(p["number"] for p in json.loads(body) if p["state"] == "open") == sorted(
            p["number"] for p in pulls
        )
        status, body = _get(fields["dashboard issue"])
        assert status == 200 and json.loads(body)["number"] == number
        status, page = _get(fields["status page"])
        assert status == 200
        viewer = fields["pull requests"].removesuffix("/pulls")
        for p in pulls:
            assert f'href="{viewer}/pull/{p["number"]}"'.encode() in page
        status, body = _get(f"{viewer}/pull/{pulls[0]['number']}")
        assert status == 200 and json.loads(body)["head"]["sha"] == pulls[0]["head"]["sha"]
        # Read-only and limited to the NUR's pulls and issues: no way to the rest of the API.
        assert _get(f"{viewer}/user")[0] == 404
        _check_checkout_untouched(nur)
        assert proc.poll() is None
        # The leftover check below can see the demo: its command line names the world.
        assert any(line.startswith(f"{proc.pid}:") for line in _processes_of(str(root)))

        os.killpg(proc.pid, signal.SIGINT)
        started = time.monotonic()
        code = proc.wait(timeout=15)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert code == 0, err.read_text()[-3000:]
    assert took < 10, f"stopping took {took:.1f}s"
    assert _processes_of(str(root)) == []
    for url in (fields["status page"], fields["pull requests"]):
        with pytest.raises(OSError):
            urllib.request.urlopen(url, timeout=2)
    _check_checkout_untouched(nur)


def test_demo_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("mine\n")
    proc = subprocess.run(
        [*UPDATER, "demo", "--once", "--dir", str(tmp_path)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "not empty" in proc.stderr
    assert (tmp_path / "something").read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["something"]


def test_demo_refuses_a_directory_inside_a_git_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    _git(["init", "-q"], checkout)
    proc = subprocess.run(
        [*UPDATER, "demo", "--once", "--dir", str(checkout / "world")],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "inside the git checkout" in proc.stderr
    assert not (checkout / "world").exists()
    assert _git(["status", "--porcelain", "--untracked-files=all"], checkout) == ""


@pytest.mark.nix
@pytest.mark.slow
def test_ctrl_c_during_the_cycle_stops_after_the_unit_in_progress(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    err = tmp_path / "stderr"
    with err.open("w") as stderr:
        proc = subprocess.Popen(
            [*UPDATER, "demo", "--dir", str(root)],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + CYCLE_TIMEOUT
        while not re.search(r"PR #\d+ opened", err.read_text()):
            assert proc.poll() is None, err.read_text()[-3000:]
            assert time.monotonic() < deadline, "no PR opened"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = err.read_text()
    assert code == 0, text[-3000:]
    assert "stopping: the unit in progress finishes first" in text
    # It stopped between source groups: far fewer than the dozen a whole cycle handles.
    assert len(re.findall(r"PR #\d+ opened", text)) < 6
    assert _processes_of(str(root)) == []
    nur = root / "world" / "nur"
    _check_checkout_untouched(nur)
    assert len(_git(["worktree", "list"], nur).splitlines()) == 1
