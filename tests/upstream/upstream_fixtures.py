"""Upstream repositories on the local forge, built with one `git fast-import` each."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE = datetime(2025, 1, 1, tzinfo=UTC)
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


@dataclass(frozen=True)
class Tag:
    name: str
    day: int  # commit date = BASE + day
    annotated: bool = False


def build_repo(
    path: Path, tags: Sequence[Tag], head_day: int, branch: str = "main"
) -> dict[str, str]:
    """A bare repo with one commit per tag (in day order) plus a head commit; returns ref -> commit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", branch, str(path)], check=True, timeout=30)
    stream: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        stream.append(b"data %d\n" % len(raw) + raw + b"\n")

    days = sorted({t.day for t in tags} | {head_day})
    for i, day in enumerate(days, start=1):
        ts = int((BASE + timedelta(days=day)).timestamp())
        stream.append(
            f"commit refs/heads/{branch}\nmark :{i}\ncommitter A <a@example.org> {ts} +0000\n".encode()
        )
        data(f"day {day}")
        if i > 1:
            stream.append(f"from :{i - 1}\n".encode())
        stream.append(b"M 644 inline README\n")
        data(f"content {day}\n")
    for t in tags:
        mark = days.index(t.day) + 1
        if t.annotated:
            ts = int((BASE + timedelta(days=t.day)).timestamp())
            stream.append(
                f"tag {t.name}\nfrom :{mark}\ntagger T <t@example.org> {ts} +0000\n".encode()
            )
            data(f"release {t.name}")
        else:
            stream.append(f"reset refs/tags/{t.name}\nfrom :{mark}\n\n".encode())
    subprocess.run(
        ["git", "--git-dir", str(path), "fast-import", "--quiet"],
        input=b"".join(stream),
        check=True,
        timeout=60,
    )
    out = subprocess.run(
        ["git", "--git-dir", str(path), "for-each-ref", "--format=%(refname) %(objectname) %(*objectname)"],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    refs: dict[str, str] = {}
    for line in out.splitlines():
        name, obj, peeled = (line.split(" ") + [""])[:3]
        refs[name] = peeled or obj
    return refs
