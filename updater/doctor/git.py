"""git and the package repository: git's version, the bot's identity, the checkout, its base
branch and remote, and what the scan finds in it."""

from __future__ import annotations

import re
from pathlib import Path

from updater.context import AppContext
from updater.doctor.model import CheckResult, Status
from updater.errors import GitError
from updater.gitops.command import run_git
from updater.logs import redact_text
from updater.nixfile.model import ScanResult

# Scratch worktrees (`git worktree add`, `worktree remove`) as the bot uses them need 2.20.
_MINIMUM = (2, 20)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")
_CREDENTIALS = re.compile(r"(//)[^/@\s]+@")


def git_checks(ctx: AppContext) -> list[CheckResult]:
    try:
        done = run_git(["--version"], ctx.repo, check=False, timeout=30)
    except GitError as exc:
        return [CheckResult("git", "version", "fail", str(exc), "install git")]
    m = re.search(r"(\d+)\.(\d+)", done.stdout)
    if done.returncode != 0 or m is None:
        return [CheckResult("git", "version", "fail", done.stderr.strip() or "no version")]
    version = (int(m[1]), int(m[2]))
    status: Status = "ok" if version >= _MINIMUM else "fail"
    out = [CheckResult("git", "version", status, f"{done.stdout.strip()} (supported: 2.20+)")]
    pr = ctx.config.pull_requests
    identity = f"{pr.author_name} <{pr.author_email}>"
    if not pr.author_name.strip() or not _EMAIL.match(pr.author_email):
        out.append(
            CheckResult(
                "git",
                "identity",
                "fail",
                f"the bot's commit identity {identity!r} is not a name and an e-mail address",
                "set [pull_requests] author_name and author_email",
            )
        )
    else:
        out.append(CheckResult("git", "identity", "ok", f"commits as {identity}"))
    return out


def _git(args: list[str], repo: Path) -> str | None:
    done = run_git(args, repo, check=False, timeout=30)
    return done.stdout.strip() if done.returncode == 0 else None


def repository_checks(
    ctx: AppContext, scan: ScanResult | None, scan_error: str
) -> list[CheckResult]:
    repo = ctx.repo
    top = _git(["rev-parse", "--show-toplevel"], repo)
    if top is None:
        return [
            CheckResult(
                "repository",
                "checkout",
                "fail",
                f"{repo} is not a git checkout",
                "use --repo with a clone of the package repository",
            )
        ]
    out = [CheckResult("repository", "checkout", "ok", top)]
    out.append(_base_branch(ctx))
    out.append(_remote(ctx))
    out.append(_packages(ctx, scan, scan_error))
    return out


def _base_branch(ctx: AppContext) -> CheckResult:
    configured = ctx.config.repository.base_branch
    if configured:
        commit = _git(["rev-parse", "--verify", "--quiet", f"{configured}^{{commit}}"], ctx.repo)
        if commit is None:
            return CheckResult(
                "repository",
                "base branch",
                "fail",
                f"[repository] base_branch {configured!r} is not a branch of {ctx.repo}",
            )
        return CheckResult("repository", "base branch", "ok", f"{configured} (configured)")
    head = _git(["symbolic-ref", "--short", "-q", "HEAD"], ctx.repo)
    if head is None:
        commit = _git(["rev-parse", "--verify", "--quiet", "HEAD"], ctx.repo)
        if commit is None:
            return CheckResult("repository", "base branch", "fail", "the checkout has no commit")
        return CheckResult(
            "repository",
            "base branch",
            "warn",
            f"detached HEAD at {commit[:12]}: branches start there",
            "check out the default branch, or set [repository] base_branch",
        )
    return CheckResult("repository", "base branch", "ok", f"{head} (the checked-out branch)")


def _remote(ctx: AppContext) -> CheckResult:
    name = ctx.config.repository.remote
    url = ctx.config.repository.push_url or _git(["remote", "get-url", name], ctx.repo)
    forge = ctx.endpoints.repository
    if url is None:
        status: Status = "fail" if forge and ctx.config.pull_requests.enabled else "warn"
        return CheckResult(
            "repository",
            "remote",
            status,
            f"no remote {name!r}: nothing can be pushed",
            f"git remote add {name} URL, or set [repository] push_url",
        )
    shown = redact_text(_CREDENTIALS.sub(r"\1***@", url), [])
    where = f"pull requests on {forge}" if forge else "no forge configured: branches only"
    return CheckResult("repository", "remote", "ok", f"{name} = {shown}; {where}")


def _packages(ctx: AppContext, scan: ScanResult | None, scan_error: str) -> CheckResult:
    pkgs_dir = ctx.config.repository.pkgs_dir
    if scan is None:
        return CheckResult("repository", "packages", "fail", scan_error)
    names = {p.name for p in scan.packages} | {n for g in scan.groups() for n in g.packages}
    detail = (
        f"{len(names)} package(s), {len(scan.groups())} source(s), {len(scan.pins)} pin(s) "
        f"under {pkgs_dir}/"
    )
    if scan.warnings:
        detail += f"; {len(scan.warnings)} warning(s) (`updater scan` shows them)"
    if not scan.pins:
        return CheckResult(
            "repository",
            "packages",
            "fail",
            f"no pin found under {pkgs_dir}/",
            "set [repository] pkgs_dir",
        )
    return CheckResult("repository", "packages", "warn" if scan.warnings else "ok", detail)
