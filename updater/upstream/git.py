"""Any git host (tangled knots, plain git): `git ls-remote` over the URL the fetcher uses.

Real git does the work, so the user's `url.<base>.insteadOf` rules (and the sandbox's
GIT_CONFIG_GLOBAL) apply exactly as they do for fetches. Git gives no dates: a release's age is
unknown on these hosts.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import TypeVar
from urllib.parse import urlsplit

from updater.errors import UpstreamError
from updater.tempdirs import claimed_dir
from updater.upstream import parse
from updater.upstream.http import HostCircuit
from updater.upstream.model import BranchHead, SourceSpec, UpstreamRelease, UpstreamSnapshot

_URL = re.compile(r"^(https?|git|ssh)://[^\s]+$|^file:///[^\s]+$")
TIMEOUT = 60.0
# git's (curl's, ssh's) words for "the host did not answer", as opposed to an answer that
# refused this one repository (not found, auth): only these count towards the host's circuit.
_NO_ANSWER = re.compile(
    r"Could not resolve host|Failed to connect|Couldn't connect|Connection refused|"
    r"Connection timed out|Connection reset|Network is unreachable|No route to host|"
    r"Could not resolve hostname|Operation timed out",
    re.IGNORECASE,
)


_T = TypeVar("_T")


class GitNoAnswer(UpstreamError):
    """git could not reach the host at all (resolve, connect, timeout)."""

    def __init__(self, message: str, why: str) -> None:
        super().__init__(message)
        self.why = why


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # Never wait for a password prompt in a bot.
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("GIT_ASKPASS", "true")
    return env


async def _git(args: list[str], url: str, timeout: float) -> str:
    proc = await asyncio.create_subprocess_exec(
        "git",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        env=_env(),
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise GitNoAnswer(
            f"{url}: git {args[0]} timed out after {int(timeout)} s", f"git {args[0]} timed out"
        ) from None
    if proc.returncode != 0:
        last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        message = f"{url}: git {args[0]} failed: {last[0][:300]}"
        matched = _NO_ANSWER.search(last[0])
        if matched:
            raise GitNoAnswer(message, f"git: {matched.group(0)}")
        raise UpstreamError(message)
    return out.decode("utf-8", "replace")


def _check_url(url: str) -> None:
    if not _URL.match(url):
        raise UpstreamError(f"{url!r}: not a git URL we query")


async def ls_remote(url: str, timeout: float = TIMEOUT) -> str:
    _check_url(url)
    return await _git(
        ["ls-remote", "--symref", url, "HEAD", "refs/heads/*", "refs/tags/*"], url, timeout
    )


async def commit_date(url: str, commit: str, timeout: float = TIMEOUT) -> datetime | None:
    """The committer date of `commit`, by a depth-1 fetch into a scratch repository."""
    _check_url(url)
    if parse.commit(commit) is None:
        raise UpstreamError(f"{url}: {commit!r} is not a commit id")
    with claimed_dir("updater-date-") as folder:
        scratch = str(folder)
        await _git(["init", "-q", "--bare", scratch], url, timeout)
        await _git(
            ["-C", scratch, "fetch", "-q", "--depth=1", "--no-tags", url, commit], url, timeout
        )
        out = await _git(["-C", scratch, "log", "-1", "--format=%cI", commit], url, timeout)
    return parse.date(out.strip())


def parse_ls_remote(source: SourceSpec, text: str) -> UpstreamSnapshot:
    tags: dict[str, str | None] = {}
    peeled: dict[str, str] = {}
    heads: dict[str, str] = {}
    default: str | None = None
    head_commit: str | None = None
    for line in text.splitlines():
        left, _, ref = line.partition("\t")
        if left.startswith("ref: ") and ref == "HEAD":
            default = left[len("ref: ") :].removeprefix("refs/heads/")
            continue
        oid = parse.commit(left)
        if oid is None:
            continue
        if ref == "HEAD":
            head_commit = oid
        elif ref.startswith("refs/heads/"):
            heads[ref[len("refs/heads/") :]] = oid
        elif ref.startswith("refs/tags/"):
            name = ref[len("refs/tags/") :]
            if name.endswith("^{}"):
                peeled[name[:-3]] = oid
            else:
                tags[name] = oid
    releases = tuple(
        UpstreamRelease(tag=t, commit=peeled.get(t, c), is_release=False)
        for t, c in tags.items()
        if parse.tag_name(t) is not None
    )
    branch_heads = tuple(
        BranchHead(b, c) for b, c in heads.items() if parse.tag_name(b) is not None
    )
    head: BranchHead | None = None
    if default is not None and default in heads:
        head = BranchHead(default, heads[default])
    elif head_commit is not None:
        head = BranchHead("HEAD", head_commit)
    return UpstreamSnapshot(
        source=source,
        tags=releases,
        head=head,
        heads=branch_heads,
        refused=parse.refused_tags(tags),
    )


class GitSource:
    """`git ls-remote` for many sources, at most `max_processes` at once. With a circuit (the
    HTTP client's), a host that did not answer `limit` times in a row is not asked again."""

    def __init__(self, max_processes: int = 8, circuit: HostCircuit | None = None) -> None:
        self._slots = asyncio.Semaphore(max_processes)
        self._circuit = circuit or HostCircuit(3)

    async def _asked(self, url: str, call: Callable[[], Awaitable[_T]]) -> _T:
        host = urlsplit(url).netloc or url
        self._circuit.raise_if_open(host)
        async with self._slots:
            self._circuit.raise_if_open(host)  # it may have opened while this one waited
            try:
                answer = await call()
            except GitNoAnswer as exc:
                self._circuit.failed(host, exc.why)
                raise
        self._circuit.answered(host)
        return answer

    async def fetch(self, source: SourceSpec) -> UpstreamSnapshot:
        text = await self._asked(source.url, lambda: ls_remote(source.url))
        return parse_ls_remote(source, text)

    async def branch(
        self, source: SourceSpec, branch: str | None, known: str | None
    ) -> UpstreamSnapshot:
        """The head of `branch` (default: HEAD's branch) with its date unless it is `known`."""
        snap = await self.fetch(source)
        head = snap.branch_head(branch)
        if head is None:
            raise UpstreamError(f"{source.url}: branch {branch or '(default)'} not found")
        if head.commit != known:
            commit = head.commit
            date = await self._asked(source.url, lambda: commit_date(source.url, commit))
            head = replace(head, date=date)
        return replace(snap, head=head, heads=(head,))
