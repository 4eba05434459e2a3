"""Every check of `updater doctor`, in the order a new user meets the problems."""

from __future__ import annotations

from updater.context import AppContext
from updater.doctor.credentials import credential_checks
from updater.doctor.git import git_checks, repository_checks
from updater.doctor.model import CheckResult
from updater.doctor.nix import nix_checks
from updater.doctor.settings import configuration_checks
from updater.doctor.store import state_checks
from updater.errors import UpdaterError
from updater.nix.runner import NixOptions, NixRunner
from updater.nixfile.cache import scan_cached
from updater.nixfile.model import ScanResult


def run_doctor(
    ctx: AppContext, *, online: bool = False, config_error: str | None = None
) -> list[CheckResult]:
    """Every check's row. `config_error`: the configuration could not be read (its line);
    the defaults stand in for it so the other checks still run."""
    runner = NixRunner(NixOptions.from_config(ctx.config.nix))
    scan: ScanResult | None = None
    scan_error = ""
    pkgs = ctx.repo / ctx.config.repository.pkgs_dir
    if not pkgs.is_dir():
        scan_error = f"{pkgs}: no such directory (set [repository] pkgs_dir)"
    else:
        try:
            repository = ctx.config.repository
            # The doctor writes nothing: the cache is read, not filled.
            scan = scan_cached(ctx.repo, repository.pkgs_dir, repository.exclude, keep=False)
        except UpdaterError as exc:
            scan_error = str(exc)
    return [
        *nix_checks(runner),
        *git_checks(ctx),
        *repository_checks(ctx, scan, scan_error),
        *configuration_checks(ctx, config_error, scan),
        *credential_checks(ctx, online),
        *state_checks(ctx),
    ]
