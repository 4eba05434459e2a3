"""`scan_repository`: every pin of a package repository, statically.

Reads every .nix file under `pkgs/` and the files they import or callPackage (also outside
`pkgs/`), then resolves values across them. A file that cannot be read or parsed fully yields a
warning; it never stops the scan of the others.
"""

from __future__ import annotations

from pathlib import Path

from updater.nixfile.build import PinBuilder
from updater.nixfile.directives import AttachedDirective, attach
from updater.nixfile.model import ScanResult, ScanWarning
from updater.nixfile.packages import Attribution, export_sets
from updater.nixfile.parse import new_parser, parse_source, parse_warnings
from updater.nixfile.resolve import Resolver
from updater.nixfile.scan import FileFacts, extract

_MAX_FILE_BYTES = 4 * 1024 * 1024


def _candidates(repo: Path, pkgs_dir: str) -> list[str]:
    base = repo / pkgs_dir
    if not base.is_dir():
        return []
    found = []
    for path in base.rglob("*.nix"):
        if path.is_file() and not any(
            part.startswith(".") for part in path.relative_to(repo).parts
        ):
            found.append(path.relative_to(repo).as_posix())
    return sorted(found)


def read_files(
    repo: Path, pkgs_dir: str = "pkgs"
) -> tuple[dict[str, FileFacts], list[ScanWarning]]:
    """Parse the files under `pkgs_dir` and, transitively, the files they call."""
    parser = new_parser()
    files: dict[str, FileFacts] = {}
    warnings: list[ScanWarning] = []
    queue = _candidates(repo, pkgs_dir)
    queued = set(queue)
    root = repo.resolve()
    while queue:
        rel = queue.pop(0)
        path = repo / rel
        try:
            if (path.is_symlink() or ".." in rel.split("/")) and not path.resolve().is_relative_to(
                root
            ):
                warnings.append(ScanWarning(rel, 1, "points outside the repository; not read"))
                continue
            if path.stat().st_size > _MAX_FILE_BYTES:
                warnings.append(ScanWarning(rel, 1, "larger than 4 MiB; not read"))
                continue
            source = path.read_bytes()
        except OSError as exc:
            warnings.append(ScanWarning(rel, 1, f"cannot read: {exc.strerror or exc}"))
            continue
        parsed = parse_source(rel, source, parser)
        warnings.extend(parse_warnings(parsed))
        facts = extract(parsed)
        files[rel] = facts
        for site in facts.call_sites:
            for target in (site.target, f"{site.target}/default.nix"):
                if target.endswith(".nix") and target not in queued and (repo / target).is_file():
                    queued.add(target)
                    queue.append(target)
    return files, warnings


def scan_repository(repo: Path, pkgs_dir: str = "pkgs") -> ScanResult:
    """Every pin of the repository, grouped by upstream source, with its packages."""
    files, warnings = read_files(repo, pkgs_dir)
    resolver = Resolver(files)
    attribution = Attribution(resolver, export_sets(files, pkgs_dir))
    directives: dict[str, tuple[AttachedDirective, ...]] = {}
    for rel, facts in files.items():
        attached, problems = attach(facts.parsed, facts.comments, facts.bindings)
        directives[rel] = attached
        warnings.extend(problems)
    builder = PinBuilder(resolver, attribution)
    builder.collect()
    pins = builder.pins(directives)
    return ScanResult(
        repo=str(repo),
        pins=pins,
        packages=attribution.package_refs(),
        warnings=tuple(sorted(warnings, key=lambda w: (w.file, w.line))),
        files=tuple(sorted(files)),
    )
