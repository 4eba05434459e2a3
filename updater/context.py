"""What every command receives: the package repository, the validated config and the secrets.

Built once by the CLI from its global options and passed down explicitly (no global state).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from updater.config import Config, Endpoints, Secrets


@dataclass(frozen=True)
class AppContext:
    repo: Path
    config: Config
    config_path: Path | None
    secrets: Secrets
    endpoints: Endpoints
    verbosity: int = 0

    @property
    def state_url(self) -> str:
        """The state store's SQLAlchemy URL: config, else `.updater/state.db` in the repo."""
        if self.config.state.url:
            return self.config.state.url
        return f"sqlite:///{self.repo / '.updater' / 'state.db'}"
