"""Links to an upstream's web pages: the compare view between two revisions, a commit, a release.

One place knows the URL shapes of each forge, so the status page, the PR body and the dashboard
link the same view:

    github          https://github.com/OWNER/REPO/compare/OLD...NEW
    tangled         https://tangled.org/@OWNER/REPO/compare/OLD...NEW   (GitHub's syntax)
    forgejo, gitea  https://codeberg.org/OWNER/REPO/compare/OLD...NEW
    gitlab          https://gitlab.com/OWNER/REPO/-/compare/OLD...NEW

Owners, repositories and revisions come from upstreams and .nix files, so each part is checked
against a strict pattern and percent-quoted; anything else gives no link rather than a link that
points somewhere unexpected. Plain git hosts have no known web view: no link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

ForgeKind = Literal["github", "tangled", "forgejo", "gitea", "gitlab"]
FORGE_KINDS: tuple[ForgeKind, ...] = ("github", "tangled", "forgejo", "gitea", "gitlab")

# Forges by host when the configuration does not say.
KNOWN_HOSTS: dict[str, ForgeKind] = {
    "github.com": "github",
    "gitlab.com": "gitlab",
    "codeberg.org": "forgejo",
    "tangled.org": "tangled",
    "tangled.sh": "tangled",
}

_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?$")
_NAME = re.compile(r"^@?[A-Za-z0-9_.][A-Za-z0-9_.\-]{0,199}$")
# GitLab groups nest (group/subgroup/repo): the owner may hold slashes there.
_GROUP = re.compile(
    r"^[A-Za-z0-9_.][A-Za-z0-9_.\-]{0,199}(?:/[A-Za-z0-9_.][A-Za-z0-9_.\-]{0,199}){0,5}$"
)
_REV = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+\-]{0,254}$")
_COMMIT = re.compile(r"^[0-9a-f]{7,64}$")


@dataclass(frozen=True)
class Repository:
    """A repository on a forge whose web pages we know how to name."""

    kind: ForgeKind
    host: str
    owner: str
    name: str

    @property
    def base(self) -> str | None:
        """The repository's web page, or None when a part is not a plain name."""
        owner_ok = (_GROUP if self.kind == "gitlab" else _NAME).fullmatch(self.owner)
        if not _HOST.fullmatch(self.host) or not owner_ok or not _NAME.fullmatch(self.name):
            return None
        if self.name.startswith("@") or ".." in self.owner or ".." in self.name:
            return None
        owner = self.owner
        if self.kind == "tangled" and not owner.startswith("@") and not owner.startswith("did:"):
            owner = "@" + owner
        elif self.kind != "tangled" and owner.startswith("@"):
            return None
        return f"https://{self.host.lower()}/{quote(owner, safe='/@')}/{quote(self.name)}"

    @property
    def _sep(self) -> str:
        # GitLab puts its repository views under /-/.
        return "/-" if self.kind == "gitlab" else ""

    def compare(self, old: str | None, new: str | None) -> str | None:
        """The view of what changed from `old` to `new` (tags or commits), or None."""
        base = self.base
        a, b = _rev(old), _rev(new)
        if base is None or a is None or b is None or a == b:
            return None
        return f"{base}{self._sep}/compare/{a}...{b}"

    def commit(self, rev: str | None) -> str | None:
        base = self.base
        if base is None or not rev or not _COMMIT.fullmatch(rev.lower()):
            return None
        return f"{base}{self._sep}/commit/{rev.lower()}"

    def release(self, tag: str | None) -> str | None:
        """The page of release `tag`, where the forge has one."""
        base, t = self.base, _rev(tag)
        if base is None or t is None:
            return None
        if self.kind == "gitlab":
            return f"{base}/-/releases/{t}"
        if self.kind == "tangled":
            return None  # tangled lists tags, but has no page of one
        return f"{base}/releases/tag/{t}"


def _rev(value: str | None) -> str | None:
    return quote(value, safe="/") if value and _REV.fullmatch(value) else None


def forge_kind(host: str, configured: dict[str, str] | None = None) -> ForgeKind | None:
    """The forge of `host`: the configuration's word first, then the well-known hosts."""
    kind = (configured or {}).get(host) or KNOWN_HOSTS.get(host.lower())
    return kind if kind in FORGE_KINDS else None  # type: ignore[return-value]


def repository(
    kind: str | None, host: str | None, owner: str | None, name: str | None
) -> Repository | None:
    """A Repository when `kind` is a forge with known web pages and every part is present."""
    if kind not in FORGE_KINDS or not host or not owner or not name:
        return None
    return Repository(kind, host, owner, name)  # type: ignore[arg-type]


def repository_of_group(group: str, configured: dict[str, str] | None = None) -> Repository | None:
    """The repository of a source group id `host/owner/repo` (a unit's `#strand` ignored)."""
    host, _, path = group.split("#", 1)[0].partition("/")
    owner, _, name = path.rstrip("/").rpartition("/")
    kind = forge_kind(host, configured)
    if kind != "gitlab" and "/" in owner:
        return None
    return repository(kind, host, owner, name)


def compare_url(repo: Repository | None, old: str | None, new: str | None) -> str | None:
    return repo.compare(old, new) if repo is not None else None
