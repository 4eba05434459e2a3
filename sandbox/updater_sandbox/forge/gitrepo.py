"""Read and write the bare git repositories the forge serves, with the real git binary."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from updater.errors import GitError

_GIT_TIMEOUT = 60.0
_FIELD = "\x1f"
_COMMIT_FORMAT = _FIELD.join(["%H", "%T", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B"])


@dataclass(frozen=True)
class GitPerson:
    name: str
    email: str
    date: datetime


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: GitPerson
    committer: GitPerson
    message: str


@dataclass(frozen=True)
class RefInfo:
    """One ref; for an annotated tag `oid` is the tag object and `commit` the peeled commit."""

    name: str
    oid: str
    object_type: str
    commit: str
    tagger_date: datetime | None
    tag_message: str
    commit_date: datetime | None = None  # committer date of `commit`, when it is a commit
    commit_type: str = "commit"  # the object type of `commit` (a tag of a tag peels once)


# A snapshot whose newest ref file changed less than this long before it was read may have
# missed a second change within the same file-system timestamp tick: it is read again next time.
_RACY_NS = 1_000_000_000
_REF_FORMAT = _FIELD.join(
    [
        "%(refname)",
        "%(objectname)",
        "%(objecttype)",
        "%(*objectname)",
        "%(*objecttype)",
        "%(taggerdate:iso-strict)",
        "%(committerdate:iso-strict)",
        "%(*committerdate:iso-strict)",
        "%(contents)",
    ]
)
Stamp = tuple[tuple[str, int, int, int], ...]


@dataclass(frozen=True)
class RefSnapshot:
    """Every ref of a repository and HEAD's branch, as one `git for-each-ref` saw them."""

    stamp: Stamp
    refs: tuple[RefInfo, ...]
    head_branch: str
    # False when a ref file was younger than the racy window at reading time.
    trusted: bool
    _by_name: dict[str, RefInfo] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {r.name: r for r in self.refs})

    def by_name(self, name: str) -> RefInfo | None:
        return self._by_name.get(name)


RefListener = Callable[[Path, RefSnapshot, RefSnapshot], None]


class RefCache:
    """Ref snapshots by repository path, shared by all requests of one forge.

    The per-request git work of the test double (GitHub answers from its databases) is the
    bottleneck of a batched query otherwise. A snapshot is reused while the stat stamp of HEAD,
    packed-refs and every loose ref file is unchanged, so writes from any process (a push through
    http-backend, a test's own `git`) are seen; the forge's own writes also invalidate at once.
    `listener(path, old, new)` hears every change between two snapshots (the event feed).
    """

    def __init__(self) -> None:
        self._items: dict[Path, RefSnapshot] = {}
        self._lock = threading.Lock()
        self._path_locks: dict[Path, threading.Lock] = {}
        self.listener: RefListener | None = None

    def lock_for(self, path: Path) -> threading.Lock:
        """One reader per repository at a time, so snapshots replace each other in order."""
        with self._lock:
            lock = self._path_locks.get(path)
            if lock is None:
                lock = self._path_locks[path] = threading.Lock()
            return lock

    def get(self, path: Path) -> RefSnapshot | None:
        with self._lock:
            return self._items.get(path)

    def put(self, path: Path, snapshot: RefSnapshot) -> RefSnapshot | None:
        """Store `snapshot`; returns the one it replaces."""
        with self._lock:
            old = self._items.get(path)
            self._items[path] = snapshot
            return old

    def invalidate(self, path: Path) -> None:
        with self._lock:
            old = self._items.get(path)
            if old is not None:
                self._items[path] = RefSnapshot((), old.refs, old.head_branch, trusted=False)


def ref_stamp(path: Path) -> tuple[Stamp, int]:
    """(inode, size, mtime) of HEAD, packed-refs and every loose ref; and the newest mtime."""
    entries: list[tuple[str, int, int, int]] = []
    newest = 0
    root = str(path)
    for name in ("HEAD", "packed-refs"):
        try:
            st = os.stat(os.path.join(root, name))
        except OSError:
            continue
        entries.append((name, st.st_ino, st.st_size, st.st_mtime_ns))
        newest = max(newest, st.st_mtime_ns)
    stack = [os.path.join(root, "refs")]
    while stack:
        try:
            it = os.scandir(stack.pop())
        except OSError:
            continue
        with it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                entries.append((entry.path, st.st_ino, st.st_size, st.st_mtime_ns))
                newest = max(newest, st.st_mtime_ns)
    entries.sort()
    return tuple(entries), newest


@dataclass(frozen=True)
class DiffStat:
    files: tuple[tuple[str, str], ...]  # (status letter, path)
    additions: int
    deletions: int


class CommitCache:
    """Commits by (repository, full sha), bounded; shared by all requests of one forge."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._items: dict[tuple[str, str], CommitInfo] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> CommitInfo | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: tuple[str, str], info: CommitInfo) -> None:
        with self._lock:
            if len(self._items) >= self._size:
                self._items.clear()
            self._items[key] = info


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    # The forge must not see the world's insteadOf rules or the user's config.
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["LC_ALL"] = "C"
    return env


class BareRepo:
    """A bare repository at `path`; every method runs one or a few git commands."""

    def __init__(
        self, path: Path, cache: CommitCache | None = None, refcache: RefCache | None = None
    ) -> None:
        self.path = path
        self._cache = cache if cache is not None else CommitCache()
        self._refcache = refcache if refcache is not None else RefCache()

    def exists(self) -> bool:
        return (self.path / "HEAD").is_file() and (self.path / "objects").is_dir()

    def git(self, *args: str, input_bytes: bytes | None = None, check: bool = True) -> bytes:
        try:
            proc = subprocess.run(
                ["git", "--git-dir", str(self.path), *args],
                input=input_bytes,
                capture_output=True,
                timeout=_GIT_TIMEOUT,
                env=_git_env(),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise GitError(f"{self.path}: git {args[0]} timed out") from exc
        if check and proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip().splitlines()
            raise GitError(
                f"{self.path}: git {' '.join(args[:2])} failed: {err[-1] if err else ''}"
            )
        return proc.stdout

    def default_branch(self) -> str:
        return self._head_branch() or "main"

    def _head_branch(self) -> str:
        """HEAD's branch, "" when HEAD is detached or unreadable."""
        # A bare repository's HEAD is a one-line file; reading it spares a git process per request.
        try:
            head = (self.path / "HEAD").read_text().strip()
        except OSError:
            return ""
        return head.removeprefix("ref: refs/heads/") if head.startswith("ref: refs/heads/") else ""

    def snapshot(self) -> RefSnapshot:
        """All refs, from the cache while the repository's refs are unchanged (one git call)."""
        with self._refcache.lock_for(self.path):
            return self._snapshot_locked()

    def _snapshot_locked(self) -> RefSnapshot:
        stamp, newest = ref_stamp(self.path)
        cached = self._refcache.get(self.path)
        if cached is not None and cached.trusted and cached.stamp == stamp:
            return cached
        read_at = time.time_ns()
        out = self.git("for-each-ref", f"--format={_REF_FORMAT}%00", "refs/").decode(
            errors="replace"
        )
        fresh = RefSnapshot(
            stamp,
            tuple(_parse_refs(out)),
            self._head_branch(),
            trusted=read_at - newest > _RACY_NS,
        )
        old = self._refcache.put(self.path, fresh)
        listener = self._refcache.listener
        if old is not None and listener is not None and old.refs != fresh.refs:
            listener(self.path, old, fresh)
        return fresh

    def resolve_commit(self, rev: str) -> str | None:
        if not rev or rev.startswith("-"):
            return None
        if _plain_ref(rev):
            snap = self.snapshot()
            name = rev
            if rev == "HEAD":
                name = f"refs/heads/{snap.head_branch}" if snap.head_branch else ""
            found = snap.by_name(name) if name else None
            if found is not None and found.commit_type == "commit":
                return found.commit
            if found is None and name.startswith(("refs/heads/", "refs/tags/")):
                return None
        out = self.git(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False
        )
        sha = out.decode().strip()
        return sha or None

    def resolve_object(self, rev: str) -> str | None:
        if not rev or rev.startswith("-"):
            return None
        if _plain_ref(rev) and rev.startswith(("refs/heads/", "refs/tags/")):
            found = self.snapshot().by_name(rev)
            return found.oid if found is not None else None
        out = self.git("rev-parse", "--verify", "--quiet", "--end-of-options", rev, check=False)
        return out.decode().strip() or None

    def refs(self, prefix: str = "refs/") -> list[RefInfo]:
        """Refs under `prefix` (ending in /), or the ref named exactly `prefix` and those below
        it, as `git for-each-ref` matches a pattern."""
        refs = self.snapshot().refs
        if prefix.endswith("/"):
            return [r for r in refs if r.name.startswith(prefix)]
        return [r for r in refs if r.name == prefix or r.name.startswith(prefix + "/")]

    def ref(self, name: str) -> RefInfo | None:
        return self.snapshot().by_name(name)

    def commits(
        self, shas_or_revs: list[str], *, max_count: int | None = None, skip: int = 0
    ) -> list[CommitInfo]:
        args = ["log", "-z", f"--format={_COMMIT_FORMAT}"]
        if max_count is not None:
            args.append(f"--max-count={max_count}")
        if skip:
            args.append(f"--skip={skip}")
        out = self.git(*args, "--end-of-options", *shas_or_revs, "--").decode(errors="replace")
        return [_parse_commit(r) for r in out.split("\x00") if r]

    def commit(self, sha: str) -> CommitInfo:
        """One commit; full shas are immutable, so their lookups are cached."""
        key = (str(self.path), sha)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        info = self.commits([sha], max_count=1)[0]
        if info.sha == sha:
            self._cache.put(key, info)
        return info

    def root_commit(self, head: str) -> CommitInfo:
        key = (str(self.path), f"root-of:{head}")
        cached = self._cache.get(key)
        if cached is None:
            roots = self.git("rev-list", "--max-parents=0", head).decode().split()
            cached = self.commit(roots[-1])
            self._cache.put(key, cached)
        return cached

    def count(self, rev_range: str) -> int:
        return int(self.git("rev-list", "--count", "--end-of-options", rev_range).decode().strip())

    def ahead_behind(self, base: str, head: str) -> tuple[int, int]:
        out = self.git("rev-list", "--left-right", "--count", f"{base}...{head}").decode().split()
        return int(out[1]), int(out[0])

    def merge_base(self, a: str, b: str) -> str | None:
        return self.git("merge-base", a, b, check=False).decode().strip() or None

    def diff_stat(self, base: str, head: str) -> DiffStat:
        names = (
            self.git("diff", "--name-status", "-z", base, head)
            .decode(errors="replace")
            .split("\x00")
        )
        files: list[tuple[str, str]] = []
        i = 0
        while i + 1 < len(names):
            status = names[i]
            if status[:1] in ("R", "C"):
                files.append((status[0], names[i + 2]))
                i += 3
            else:
                files.append((status[:1], names[i + 1]))
                i += 2
        adds = dels = 0
        for line in self.git("diff", "--numstat", base, head).decode(errors="replace").splitlines():
            a, d, _ = line.split("\t", 2)
            adds += int(a) if a.isdigit() else 0
            dels += int(d) if d.isdigit() else 0
        return DiffStat(tuple(files), adds, dels)

    def merge_tree(self, base: str, head: str) -> str | None:
        """The tree of merging `head` into `base`, or None when they conflict."""
        proc_out = self.git("merge-tree", "--write-tree", base, head, check=False).decode()
        tree = proc_out.split("\n", 1)[0].strip()
        if len(tree) != 40 or "CONFLICT" in proc_out:
            return None
        return tree

    def commit_tree(self, tree: str, parents: list[str], message: str, who: GitPerson) -> str:
        args = ["commit-tree", tree]
        for p in parents:
            args += ["-p", p]
        date = who.date.isoformat()
        try:
            proc = subprocess.run(
                ["git", "--git-dir", str(self.path), *args],
                input=message.encode(),
                capture_output=True,
                timeout=_GIT_TIMEOUT,
                env={
                    **_git_env(),
                    "GIT_AUTHOR_NAME": who.name,
                    "GIT_AUTHOR_EMAIL": who.email,
                    "GIT_AUTHOR_DATE": date,
                    "GIT_COMMITTER_NAME": who.name,
                    "GIT_COMMITTER_EMAIL": who.email,
                    "GIT_COMMITTER_DATE": date,
                },
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise GitError(f"{self.path}: git commit-tree timed out") from exc
        if proc.returncode != 0:
            raise GitError(
                f"{self.path}: git commit-tree failed: {proc.stderr.decode(errors='replace').strip()}"
            )
        return proc.stdout.decode().strip()

    def update_ref(self, ref: str, new: str, old: str | None = None) -> None:
        try:
            self.git("update-ref", ref, new, *([old] if old else []))
        finally:
            self.refs_changed()

    def delete_ref(self, ref: str) -> bool:
        if self.resolve_object(ref) is None:
            return False
        try:
            self.git("update-ref", "-d", ref)
        finally:
            self.refs_changed()
        return True

    def refs_changed(self) -> None:
        """Drop the cached snapshot and read the new one (its listener hears the change)."""
        self._refcache.invalidate(self.path)
        self.snapshot()

    def archive(self, rev: str, prefix: str) -> bytes:
        return self.git("archive", "--format=tar.gz", f"--prefix={prefix}", "--end-of-options", rev)


def _plain_ref(rev: str) -> bool:
    """HEAD or a full ref name with no revision syntax after it: answerable from a snapshot."""
    return (rev == "HEAD" or rev.startswith("refs/")) and not any(c in rev for c in "~^:@{ ")


def _parse_refs(out: str) -> list[RefInfo]:
    refs: list[RefInfo] = []
    for record in out.split("\x00"):
        record = record.lstrip("\n")
        if not record:
            continue
        name, oid, otype, peeled, peeled_type, tagger, cdate, peeled_cdate, contents = record.split(
            _FIELD, 8
        )
        commit_date = peeled_cdate if otype == "tag" else cdate
        refs.append(
            RefInfo(
                name=name,
                oid=oid,
                object_type=otype,
                commit=peeled or oid,
                tagger_date=datetime.fromisoformat(tagger) if tagger else None,
                tag_message=contents if otype == "tag" else "",
                commit_date=datetime.fromisoformat(commit_date) if commit_date else None,
                commit_type=peeled_type if otype == "tag" else otype,
            )
        )
    return refs


def _parse_commit(record: str) -> CommitInfo:
    sha, tree, parents, an, ae, ad, cn, ce, cd, body = record.lstrip("\n").split(_FIELD, 9)
    return CommitInfo(
        sha=sha,
        tree=tree,
        parents=tuple(parents.split()),
        author=GitPerson(an, ae, datetime.fromisoformat(ad)),
        committer=GitPerson(cn, ce, datetime.fromisoformat(cd)),
        message=body.rstrip("\n"),
    )
