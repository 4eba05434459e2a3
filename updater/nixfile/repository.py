"""`scan_repository`: every pin of a package repository, statically.

Reads every .nix file of the repository (ignore.py: less what .gitignore and the `exclude`
setting leave out), then resolves values across them and names the packages they feed
(naming.py). A file that cannot be read yields a warning, a file that is not valid Nix one
error naming file:line:column; neither stops the scan of the others. Files written by other
tools (nvfetcher, npins) are recognised (managed.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from updater.nixfile.build import PinBuilder
from updater.nixfile.directives import AttachedDirective, attach
from updater.nixfile.ignore import nix_files
from updater.nixfile.managed import managed_sources
from updater.nixfile.model import ScanError, ScanResult, ScanWarning
from updater.nixfile.naming import Naming
from updater.nixfile.packages import Attribution
from updater.nixfile.parse import new_parser, parse_source, parse_warnings, syntax_error
from updater.nixfile.resolve import Resolver
from updater.nixfile.scan import FileFacts, extract

_MAX_FILE_BYTES = 4 * 1024 * 1024


def read_files(
    repo: Path, exclude: Iterable[str] = ()
) -> tuple[dict[str, FileFacts], list[ScanWarning], list[ScanError]]:
    """Parse every .nix file of the repository that git does not ignore."""
    parser = new_parser()
    files: dict[str, FileFacts] = {}
    warnings: list[ScanWarning] = []
    errors: list[ScanError] = []
    root = repo.resolve()
    for rel in nix_files(repo, exclude):
        path = repo / rel
        try:
            if path.is_symlink() and not path.resolve().is_relative_to(root):
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
        error = syntax_error(parsed)
        if error is not None:
            errors.append(error)
        files[rel] = extract(parsed)
    return files, warnings, errors


def scan_repository(repo: Path, pkgs_dir: str = "pkgs", exclude: Iterable[str] = ()) -> ScanResult:
    """Every pin of the repository, grouped by upstream source, with its packages.

    `pkgs_dir` is where the `{organization}/default.nix` layout is looked for (naming.py).
    """
    files, warnings, errors = read_files(repo, exclude)
    resolver = Resolver(files)
    naming = Naming(files, resolver.callers, pkgs_dir)
    attribution = Attribution(resolver, naming)
    directives: dict[str, tuple[AttachedDirective, ...]] = {}
    for rel, facts in files.items():
        attached, problems = attach(facts.parsed, facts.comments, facts.bindings)
        directives[rel] = attached
        warnings.extend(problems)
    builder = PinBuilder(resolver, attribution)
    builder.collect()
    managed = managed_sources(repo, files, attribution)
    pins = builder.pins(directives, managed)
    return ScanResult(
        repo=str(repo),
        pins=pins,
        packages=attribution.package_refs(),
        warnings=tuple(sorted(warnings, key=lambda w: (w.file, w.line))),
        files=tuple(sorted(files)),
        errors=tuple(sorted(errors, key=lambda e: (e.file, e.line))),
        managed=managed,
    )
