"""Any git host (tangled knots, plain git): `git ls-remote` over the URL the fetcher uses.

Real git does the work, so the user's `url.<base>.insteadOf` rules (and the sandbox's
GIT_CONFIG_GLOBAL) apply exactly as they do for fetches. Git gives no dates: a release's age is
unknown on these hosts.
"""

from __future__ import annotations

import asyncio
import os
import re

from updater.errors import UpstreamError
from updater.logs import get_logger
from updater.upstream import parse
from updater.upstream.model import BranchHead, SourceSpec, UpstreamRelease, UpstreamSnapshot

log = get_logger("upstream.git")

_URL = re.compile(r"^(https?|git|ssh)://[^\s]+$|^file:///[^\s]+$")
TIMEOUT = 60.0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # Never wait for a password prompt in a bot.
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("GIT_ASKPASS", "true")
    return env


async def ls_remote(url: str, timeout: float = TIMEOUT) -> str:
    if not _URL.match(url):
        raise UpstreamError(f"{url!r}: not a git URL we query")
    proc = await asyncio.create_subprocess_exec(
        "git",
        "ls-remote",
        "--symref",
        url,
        "HEAD",
        "refs/heads/*",
        "refs/tags/*",
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
        raise UpstreamError(f"{url}: git ls-remote timed out after {int(timeout)} s") from None
    if proc.returncode != 0:
        last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise UpstreamError(f"{url}: git ls-remote failed: {last[0][:300]}")
    return out.decode("utf-8", "replace")


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
    return UpstreamSnapshot(source=source, tags=releases, head=head, heads=branch_heads)


class GitSource:
    def __init__(self, max_processes: int = 8) -> None:
        self._slots = asyncio.Semaphore(max_processes)

    async def fetch(self, source: SourceSpec) -> UpstreamSnapshot:
        async with self._slots:
            text = await ls_remote(source.url)
        return parse_ls_remote(source, text)
