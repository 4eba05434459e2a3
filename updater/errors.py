"""The few named exception types the bot raises.

Every error carries a message meant for a person: one line that names the file, line or package
concerned. Callers catch these (never bare Exception) to turn them into exit codes and reports.
"""

from __future__ import annotations


class UpdaterError(Exception):
    """Base of every error the bot reports to its user."""

    exit_code = 1


class ConfigError(UpdaterError):
    """The configuration file or the environment is wrong (exit code 2)."""

    exit_code = 2


class UsageError(UpdaterError):
    """The command line asks for something impossible (exit code 2)."""

    exit_code = 2


class NixFileError(UpdaterError):
    """A .nix file cannot be read, or an edit cannot be applied to it."""


class UnsafeValueError(NixFileError):
    """A value from upstream (tag, version, hash, URL) is refused before it touches a file."""


class EditConflictError(NixFileError):
    """The text at an edit's span is not what the edit expected: the file changed underneath."""


class UpstreamError(UpdaterError):
    """An upstream source could not be queried (network, HTTP status, malformed answer)."""


class RateLimitedError(UpstreamError):
    """A forge refused us for rate limiting; `retry_at` is a UNIX time when we may try again."""

    def __init__(self, message: str, retry_at: float | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class HostUnreachableError(UpstreamError):
    """A host failed to connect several times in a row: it is not asked again in this run."""

    def __init__(self, message: str, host: str) -> None:
        super().__init__(message)
        self.host = host


class TokenRejectedError(UpstreamError):
    """A host answered 401 to our token: every request with it would be refused alike."""

    def __init__(self, message: str, host: str) -> None:
        super().__init__(message)
        self.host = host


class NixError(UpdaterError):
    """Nix failed for a reason other than the hash mismatch we asked for."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.log_tail = log_tail


class VerificationError(UpdaterError):
    """An update cannot be proven right: the files after it are not what the plan promised,
    or something it depends on (a hash, a lock file copy) could not be shown current."""


class GitError(UpdaterError):
    """A git operation on the package repository or a scratch worktree failed."""


class ForgeError(UpdaterError):
    """The forge (GitHub) refused or failed a pull-request, branch or issue operation."""
