"""Output of `updater scan`: JSON lines (the contract tools depend on), JSON, and a rich table."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pydantic_core import to_json
from rich import box
from rich.console import Console
from rich.table import Table

from updater.nixfile.model import Location, ManagedSource, Pin, ScanResult


def _location(loc: Location) -> dict[str, Any]:
    return {"file": loc.file, "line": loc.line, "start": loc.start, "end": loc.end}


def pin_record(pin: Pin) -> dict[str, Any]:
    """One pin as the jsonl contract writes it (documented fields first)."""
    return {
        "file": pin.file,
        "line": pin.line,
        "kind": str(pin.kind),
        "value": pin.value,
        "format": str(pin.format) if pin.format is not None else None,
        "group": pin.group,
        "forge": pin.forge,
        "domain": pin.domain,
        "owner": pin.owner,
        "repo": pin.repo,
        "system": pin.system,
        "packages": list(pin.packages),
        "aliases": list(pin.aliases),
        "url": pin.url,
        "start": pin.start,
        "end": pin.end,
        "attr": pin.attr,
        "literal": pin.literal,
        "resolved": pin.resolved,
        "algo": str(pin.algo) if pin.algo is not None else None,
        "fetcher": pin.fetcher,
        "floating": pin.floating,
        "directives": [
            {"name": d.name, "argument": d.argument, "file": d.file, "line": d.line}
            for d in pin.directives
        ],
        "users": [_location(u) for u in pin.users],
        "copies": [_location(c) for c in pin.copies],
        "depends_on": [_location(d) for d in pin.depends_on],
        "refresh": pin.refresh,
        "managed_by": pin.managed_by,
    }


def write_jsonl(result: ScanResult, out: TextIO) -> None:
    # pydantic-core's encoder: a third of json.dumps' time on a 5,000-pin repository.
    lines = b"".join(to_json(pin_record(pin)) + b"\n" for pin in result.pins)
    out.write(lines.decode("utf-8"))


def write_json(result: ScanResult, out: TextIO) -> None:
    document = {
        "repo": result.repo,
        "pins": [pin_record(p) for p in result.pins],
        "packages": [
            {
                "aliases": list(p.aliases),
                "name": p.name,
                "file": p.file,
                "line": p.line,
                "key": p.key,
                "organization": p.organization,
            }
            for p in result.packages
        ],
        "warnings": [
            {"file": w.file, "line": w.line, "message": w.message} for w in result.warnings
        ],
        "errors": [
            {"file": e.file, "line": e.line, "column": e.column, "message": e.message}
            for e in result.errors
        ],
        "managed": [_managed_record(m) for m in result.managed],
    }
    json.dump(document, out, indent=2)
    out.write("\n")


def _managed_record(source: ManagedSource) -> dict[str, Any]:
    return {
        "tool": source.tool,
        "name": source.name,
        "file": source.file,
        "line": source.line,
        "packages": list(source.packages),
        "command": source.command,
    }


def package_records(result: ScanResult) -> list[dict[str, Any]]:
    """Each package with its file and the upstream sources of its pins."""
    sources: dict[str, set[str]] = {}
    for pin in result.pins:
        for name in pin.packages:
            if pin.url:  # an upstream (a file's own version or data is not a source)
                sources.setdefault(name, set()).add(pin.url)
    return [
        {
            "name": p.name,
            "file": p.file,
            "line": p.line,
            "aliases": list(p.aliases),
            "sources": sorted(sources.get(p.name, ())),
        }
        for p in result.packages
    ]


def write_packages(result: ScanResult, out: TextIO, output_format: str) -> None:
    records = package_records(result)
    if output_format == "jsonl":
        for record in records:
            out.write(json.dumps(record) + "\n")
    elif output_format == "json":
        json.dump(records, out, indent=2)
        out.write("\n")
    else:
        console = Console(file=out, soft_wrap=False, width=max(80, Console().width))
        table = Table(title="packages", title_justify="left")
        longest = max((len(r["name"]) for r in records), default=7)
        width = min(max(longest, 7), 32)
        table.add_column(
            "package", no_wrap=True, min_width=width, max_width=32, overflow="ellipsis"
        )
        table.add_column("file", no_wrap=True, max_width=28, overflow="ellipsis")
        table.add_column("sources", no_wrap=True, overflow="ellipsis")
        for record in records:
            table.add_row(
                record["name"], f"{record['file']}:{record['line']}", ", ".join(record["sources"])
            )
        console.print(table)
        with_sources = sum(1 for r in records if r["sources"])
        console.print(f"{len(records)} packages, {with_sources} with pinned sources")


def _short(text: str, width: int = 56) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _notes(pin: Pin) -> str:
    notes = []
    if pin.floating:
        notes.append("floating")
    if pin.users:
        notes.append(f"{len(pin.users)} users")
    if pin.copies:
        notes.append(f"{len(pin.copies) + 1} copies")
    if pin.depends_on:
        notes.append("follows " + ", ".join(str(d) for d in pin.depends_on))
    notes.extend(f"# {d.name} {d.argument}".rstrip() for d in pin.directives)
    if pin.managed_by:
        notes.append(f"managed by {pin.managed_by}")
    elif pin.refresh.startswith("no"):
        notes.append(pin.refresh)
    return "; ".join(notes)


def write_table(result: ScanResult, console: Console) -> None:
    """One table per upstream source (named once, in its title), its pins in file order;
    long values end in an ellipsis rather than wrap; a summary line of counts."""
    for group in result.groups():
        where = group.url or group.id
        title = f"[bold]{_short(where, 60)}[/bold]"
        if group.forge:
            title += f"  ({group.forge})"
        table = Table(title=title, title_justify="left", expand=False, box=box.SIMPLE_HEAD)
        table.add_column("package", no_wrap=True, max_width=18, overflow="ellipsis")
        table.add_column("location", no_wrap=True, max_width=22, overflow="ellipsis")
        table.add_column("kind", no_wrap=True, max_width=18, overflow="ellipsis")
        table.add_column("value", no_wrap=True, max_width=20, overflow="ellipsis")
        table.add_column("system", no_wrap=True, max_width=13, overflow="ellipsis")
        table.add_column("notes", no_wrap=True, max_width=30, overflow="ellipsis")
        previous = None
        for pin in group.pins:
            packages = ", ".join(pin.packages) or "-"
            kind = f"{pin.kind}/{pin.format}" if pin.format else str(pin.kind)
            table.add_row(
                packages if packages != previous else "",
                str(pin.location),
                kind,
                pin.value,
                pin.system or "",
                _notes(pin),
            )
            previous = packages
        console.print(table)
    hashes = [p for p in result.pins if p.kind.is_hash]
    refreshable = sum(1 for p in hashes if p.refresh.startswith("yes"))
    console.print(
        f"{len(result.groups())} sources, {len(result.pins)} pins, {len(hashes)} hashes"
        f" ({refreshable} refreshable), {len(result.packages)} packages,"
        f" {len(result.managed)} managed entries, {len(result.warnings)} warnings,"
        f" {len(result.errors)} errors"
    )
