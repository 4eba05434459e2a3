"""What every API module of the forge shares: the repository root, the data, the limits."""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from updater_sandbox.forge.events import EventLog
from updater_sandbox.forge.faults import Faults
from updater_sandbox.forge.github_shapes import stable_id
from updater_sandbox.forge.gitrepo import BareRepo, CommitCache, RefCache, RefSnapshot
from updater_sandbox.forge.ratelimit import RateLimits
from updater_sandbox.forge.state import BOT_USER, PERSON_USER, ForgeState, ForgeUser, utcnow

HOSTS: tuple[str, ...] = (
    "github.com",
    "tangled.org",
    "tangled.sh",
    "codeberg.org",
    "gitlab.com",
    "git.example.org",
)

_NAME = re.compile(r"@?[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\Z")
INSTALLATION_TOKEN_TTL = 3600


def valid_name(part: str) -> bool:
    """Owner and repository names: no traversal, no option-looking or empty parts."""
    return bool(_NAME.match(part)) and part not in (".", "..") and not part.endswith(".lock")


def _repo_names(base: Path) -> list[str]:
    try:
        return sorted(p.name[: -len(".git")] for p in base.iterdir() if p.name.endswith(".git"))
    except OSError:
        return []


def looks_like_jwt(token: str) -> bool:
    return bool(_JWT.match(token))


@dataclass
class ForgeCore:
    root: Path
    token: str | None = None
    state: ForgeState = field(default_factory=ForgeState)
    rate_limit: RateLimits = field(default_factory=RateLimits)
    faults: Faults = field(default_factory=Faults)
    base_url: str = ""
    actor: ForgeUser = BOT_USER
    # GET /user answers 403 for installation tokens (ghs_...) and, when this is set, for any token.
    user_endpoint_forbidden: bool = False
    started_at: datetime = field(default_factory=utcnow)
    commits: CommitCache = field(default_factory=CommitCache)
    refs: RefCache = field(default_factory=RefCache)
    events: EventLog = field(default_factory=EventLog)
    # Logins of organizations; every other owner is a user.
    organizations: set[str] = field(default_factory=set)
    _tokens: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.refs.listener = self._refs_moved

    def _refs_moved(self, path: Path, old: RefSnapshot, new: RefSnapshot) -> None:
        host, owner, repo = path.parent.parent.name, path.parent.name, path.name[: -len(".git")]
        if host != "github.com" or path.parent.parent.parent != self.root:
            return
        self.events.ref_changes((host, owner, repo), old, new, self.pusher(owner))

    def is_organization(self, login: str) -> bool:
        return login.lower() in {o.lower() for o in self.organizations}

    def pusher(self, owner: str) -> ForgeUser:
        """Who pushed to a repository of `owner` when git does not say: the user, or a member."""
        if self.is_organization(owner):
            return PERSON_USER
        return ForgeUser(owner, stable_id("user", owner), "User")

    def observe(self, host: str, owner: str, repo: str | None = None) -> None:
        """Read the refs of one repository, or of all of `owner`'s: changes become events."""
        base = self.root / host / owner
        names = [repo] if repo is not None else _repo_names(base)
        for name in names:
            bare = self.bare(host, owner, name)
            if bare is not None:
                bare.snapshot()

    def repo_path(self, host: str, owner: str, repo: str) -> Path:
        return self.root / host / owner / f"{repo}.git"

    def bare(self, host: str, owner: str, repo: str) -> BareRepo | None:
        """The served repository, or None when it does not exist or the name is unsafe."""
        if host not in HOSTS or not valid_name(owner) or not valid_name(repo.removesuffix(".git")):
            return None
        bare = BareRepo(
            self.repo_path(host, owner, repo.removesuffix(".git")), self.commits, self.refs
        )
        return bare if bare.exists() else None

    def issue_installation_token(self) -> tuple[str, int]:
        token = "ghs_" + secrets.token_hex(18)
        expires = int(time.time()) + INSTALLATION_TOKEN_TTL
        with self._lock:
            self._tokens[token] = expires
        return token, expires

    def token_accepted(self, presented: str | None) -> bool:
        if self.token is None:
            return True
        if presented is None:
            return False
        if presented == self.token:
            return True
        with self._lock:
            expires = self._tokens.get(presented)
        return expires is not None and expires > time.time()
