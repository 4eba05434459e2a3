"""The whole local world: forge, upstream repositories, the fixture NUR, and the environment.

    with World(tmp_path) as w:
        subprocess.run([...], env=w.process_env(), cwd=w.nur_path, ...)
        w.upstream("jetstream").add_release("0.5.0", deps_change=True)

See docs/SANDBOX.md for the URL routing contract and sandbox/README.md for the rest.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from updater.errors import GitError
from updater_sandbox import nar
from updater_sandbox.forge import LocalForge
from updater_sandbox.spec import UPSTREAMS, UpstreamSpec
from updater_sandbox.upstreams import Upstream, commit_block, fast_import, init_bare

SANDBOX_DIR = Path(__file__).resolve().parent
NIXPKGS_PATH = SANDBOX_DIR / "nixpkgs"
NUR_SOURCE = SANDBOX_DIR / "nur"

NUR_HOST, NUR_OWNER, NUR_REPO = "github.com", "nur-owner", "nur"
# A GitHub-shaped personal access token that exists nowhere but in the local forge.
FAKE_TOKEN = "ghp_" + "sandboxTestTokenNotReal".ljust(36, "0")
NUR_AUTHOR = "NUR Maintainer <maintainer@nur.example>"
# 2025-01-24T00:00:00Z: the NUR's one commit, after every upstream commit it pins
NUR_DATE = 1737676800
_GIT_TIMEOUT = 60.0
_FILES_NOT_COPIED = ("PATTERNS.md",)


def _git(args: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    base.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull})
    if env:
        base.update(env)
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            env=base,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} timed out in {cwd}") from exc
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        raise GitError(f"git {args[0]} failed in {cwd}: {lines[-1] if lines else proc.returncode}")
    return proc.stdout


def _reachable_by_others(path: Path) -> bool:
    """Nix builds run as the nixbld users: they must be able to read the git config."""
    for p in [path, *path.parents]:
        if not os.stat(p).st_mode & stat.S_IXOTH:
            return False
    return True


class World:
    """Starts the local forge, creates every upstream and the fixture NUR, stops cleanly."""

    def __init__(
        self,
        root: Path,
        *,
        specs: tuple[UpstreamSpec, ...] = UPSTREAMS,
        nur_source: Path = NUR_SOURCE,
    ) -> None:
        self.root = Path(root).resolve()
        self.specs = specs
        self.nur_source = nur_source
        self.nixpkgs_path = NIXPKGS_PATH
        self.nur_path = self.root / "nur"
        self.home = self.root / "home"
        self.token = FAKE_TOKEN
        self._forge: LocalForge | None = None
        self._upstreams: dict[str, Upstream] = {}
        self._gitconfig: Path | None = None
        self._shared_dir: Path | None = None

    # lifecycle ------------------------------------------------------------------------------

    def start(self) -> World:
        self.root.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(exist_ok=True)
        forge = LocalForge(self.root / "forge", token=self.token)
        forge.start()
        self._forge = forge
        try:
            self._write_gitconfig(forge)
            self._create_upstreams(forge)
            self._create_nur(forge)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        forge, self._forge = self._forge, None
        if forge is not None:
            forge.stop()
        shared, self._shared_dir = self._shared_dir, None
        if shared is not None:
            shutil.rmtree(shared, ignore_errors=True)

    def __enter__(self) -> World:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # parts ----------------------------------------------------------------------------------

    def _write_gitconfig(self, forge: LocalForge) -> None:
        if _reachable_by_others(self.root):
            path = self.root / "gitconfig"
        else:
            # e.g. pytest's tmp_path (0700): keep the config where the nixbld users can read it
            self._shared_dir = Path(tempfile.mkdtemp(prefix="updater-world-"))
            self._shared_dir.chmod(0o755)
            path = self._shared_dir / "gitconfig"
        forge.write_gitconfig(path)
        path.chmod(0o644)
        self._gitconfig = path

    def _create_upstreams(self, forge: LocalForge) -> None:
        handles = [Upstream(s, forge.repo_path(s.host, s.owner, s.repo), forge) for s in self.specs]
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in pool.map(Upstream.create, handles):
                pass
        self._upstreams = {u.spec.key: u for u in handles}

    def _create_nur(self, forge: LocalForge) -> None:
        # One fast-import into the served bare repository, then one clone of it: far fewer
        # processes than init/add/commit/push, and the commit is the same on every machine.
        bare = forge.repo_path(NUR_HOST, NUR_OWNER, NUR_REPO)
        init_bare(bare)
        tree = {
            path: f
            for path, f in nar.tree_of_dir(self.nur_source).items()
            if path.split("/")[-1] not in _FILES_NOT_COPIED and "__pycache__" not in path
        }
        fast_import(
            bare,
            commit_block(
                1, tree, message="Initial NUR", ident=NUR_AUTHOR, when=NUR_DATE, parent=None
            ),
        )
        _git(["clone", "--quiet", str(bare), str(self.nur_path)], self.root)
        # origin is the real-looking URL: the world's insteadOf rules send it to the forge
        _git(["config", "remote.origin.url", self.nur_clone_url], self.nur_path)

    # what tests use ---------------------------------------------------------------------------

    @property
    def forge(self) -> LocalForge:
        if self._forge is None:
            raise RuntimeError("the world is not started")
        return self._forge

    @property
    def gitconfig(self) -> Path:
        if self._gitconfig is None:
            raise RuntimeError("the world is not started")
        return self._gitconfig

    @property
    def upstreams(self) -> Mapping[str, Upstream]:
        return dict(self._upstreams)

    def upstream(self, key: str) -> Upstream:
        try:
            return self._upstreams[key]
        except KeyError:
            raise KeyError(f"no upstream {key!r}; known: {', '.join(self._upstreams)}") from None

    @property
    def nur_repository(self) -> str:
        return f"{NUR_OWNER}/{NUR_REPO}"

    @property
    def nur_clone_url(self) -> str:
        return f"https://{NUR_HOST}/{NUR_OWNER}/{NUR_REPO}.git"

    @property
    def nur_remote_path(self) -> Path:
        """The bare repository the forge serves as github.com/nur-owner/nur."""
        return self.forge.repo_path(NUR_HOST, NUR_OWNER, NUR_REPO)

    @property
    def env(self) -> dict[str, str]:
        """The world's variables for a subprocess (merge with os.environ, or use process_env)."""
        forge = self.forge
        return {
            "GIT_CONFIG_GLOBAL": str(self.gitconfig),
            "GIT_CONFIG_NOSYSTEM": "1",
            "NIX_PATH": f"nixpkgs={self.nixpkgs_path}",
            # no network here: do not let Nix try cache.nixos.org for every fixed-output path
            "NIX_CONFIG": "substituters =",
            "GITHUB_API_URL": forge.api_url,
            "GITHUB_GRAPHQL_URL": forge.graphql_url,
            "GITHUB_SERVER_URL": forge.server_url,
            "GITHUB_REPOSITORY": self.nur_repository,
            "GITHUB_TOKEN": self.token,
            "HOME": str(self.home),
        }

    def process_env(self) -> dict[str, str]:
        """os.environ without the caller's git/GitHub settings, plus the world's variables."""
        keep = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GIT_", "GITHUB_", "NIX_")) and k != "HOME"
        }
        return {**keep, **self.env}
