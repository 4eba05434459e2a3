"""The configuration: one TOML file validated by pydantic, plus secrets from the environment.

A mistake in the file fails with one line naming the file, the key path and what was expected.
Secrets (tokens, keys) are never read from the file: only from the environment (`Secrets`).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from updater.errors import ConfigError

DEFAULT_CONFIG_RELATIVE = Path("config/updater.toml")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class RepositoryConfig(_Section):
    """The package repository the bot works on."""

    pkgs_dir: str = "pkgs"
    # .gitignore-style patterns of .nix files the scan does not read (beside .gitignore's own).
    exclude: tuple[str, ...] = ()
    # owner/name on the forge; GITHUB_REPOSITORY when absent.
    github: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+$")
    base_branch: str | None = None
    remote: str = "origin"
    push_url: str | None = None
    # How packages are evaluated: `nix-build -A` on default.nix, a flake, or detected.
    eval: Literal["auto", "default.nix", "flake"] = "auto"
    # Keep each hash in the format the file uses, or convert every rewritten hash to SRI.
    hash_format: Literal["keep", "sri"] = "keep"


class StateConfig(_Section):
    # SQLAlchemy URL; default: sqlite file `.updater/state.db` inside the package repository.
    url: str | None = None


class GitHubConfig(_Section):
    """Endpoints; each defaults to the GitHub Actions variable of the same role, then github.com."""

    api_url: str | None = None
    graphql_url: str | None = None
    server_url: str | None = None
    app_id: int | None = None
    app_installation_id: int | None = None
    # How upstream GitHub repositories are queried: "auto" (event feeds, then GraphQL for what
    # changed; REST with ETags without a token), or only "graphql" or only "rest".
    query_mode: Literal["auto", "graphql", "rest"] = "auto"
    # Event feeds may lag; a repository snapshot older than this is queried again regardless.
    full_refresh_hours: Annotated[float, Field(gt=0)] = 6.0


class ForgeConfig(_Section):
    """A forge by domain, for sources that are not GitHub."""

    type: Literal["github", "tangled", "forgejo", "gitea", "gitlab", "git"]
    api_url: str | None = None


class PolicyConfig(_Section):
    """Version policy, the defaults of every package."""

    prereleases: bool = False
    min_age_days: Annotated[int, Field(ge=0)] = 0
    ignore: list[str] = []


class PackageConfig(_Section):
    """Per-package overrides; the key is the exported attribute name or a source group id."""

    skip: bool = False
    # e.g. "github:owner/repo", "git:https://host/x.git", "forgejo:codeberg.org/owner/repo".
    source: str | None = None
    mode: Literal["release", "branch"] | None = None
    branch: str | None = None
    tag_prefix: str | None = None
    tag_regex: str | None = None
    # "pinned": only versions built like the pinned one (docs/VERSIONS.md); "any": any shape.
    version_shape: Literal["pinned", "any"] = "pinned"
    prereleases: bool | None = None
    ignore: list[str] = []
    min_age_days: Annotated[int, Field(ge=0)] | None = None
    # "auto": the package's own passthru.updateScript runs only when the bot cannot follow the
    # package itself; "prefer": it runs instead of the bot's own update (a script that also
    # regenerates files the bot does not know, such as a lock file copied into the repository).
    update_script: Literal["auto", "prefer"] = "auto"

    @field_validator("tag_regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            import re

            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"a valid regular expression ({exc})") from exc
        return value


class PullRequestConfig(_Section):
    enabled: bool = True
    branch_prefix: str = Field(default="updater/", pattern=r"^[A-Za-z0-9._/\-]+$")
    labels: list[str] = ["dependencies"]
    reviewers: list[str] = []
    assignees: list[str] = []
    max_open: Annotated[int, Field(ge=0)] = 20
    max_new_per_hour: Annotated[int, Field(ge=0)] = 10
    # Seconds between two write requests (GitHub asks for at least one).
    write_interval: Annotated[float, Field(ge=0)] = 1.0
    author_name: str = "updater[bot]"
    author_email: str = "updater[bot]@users.noreply.github.com"
    dashboard: bool = True
    dashboard_title: str = "Updater dashboard"


class NixConfig(_Section):
    # Nix's `builders` option: remote builders take builds for other systems and scale out.
    builders: str | None = None
    # Systems whose per-platform hashes are refreshed; the current system is always included.
    systems: list[str] = []
    timeout: Annotated[int, Field(gt=0)] = 1800
    extra_args: list[str] = []
    # Seconds a package's own passthru.updateScript may run before it is killed and refused.
    update_script_timeout: Annotated[int, Field(gt=0)] = 600


# Each crontab field: its range, and the names it takes (months and weekdays, 3 letters).
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, tuple("jan feb mar apr may jun jul aug sep oct nov dec".split())),
    ("day of week", 0, 7, tuple("sun mon tue wed thu fri sat".split())),
)
_CRON_ITEM = re.compile(r"^(\*|(\w+)(?:-(\w+))?)(?:/(\d+))?$")


def _cron_value(text: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    if text.isdigit():
        value = int(text)
        return value if low <= value <= high else None
    name = text.lower()
    return names.index(name) + (1 if low == 1 else 0) if name in names else None


def _a(word: str) -> str:
    return ("an " if word.startswith("hour") else "a ") + word


def cron_problem(expression: str) -> str | None:
    """What is wrong with a 5-field crontab expression, or None. Checked when the file is
    read, so every command refuses the mistake (not only `serve`, which runs the schedule)."""
    fields = expression.split()
    if len(fields) != 5:
        return '5 fields: minute hour day-of-month month day-of-week, e.g. "0 * * * *"'
    for text, (what, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        for item in text.split(","):
            m = _CRON_ITEM.match(item)
            if m is None:
                return f"a valid {what} field, not {text!r}"
            bounds = [m[2], m[3]] if m[1] != "*" else []
            values = [_cron_value(b, low, high, names) for b in bounds if b is not None]
            if None in values:
                return f"{_a(what)} between {low} and {high}, not {text!r}"
            if len(values) == 2 and values[0] > values[1]:  # type: ignore[operator]
                return f"an ascending {what} range, not {text!r}"
            if m[4] is not None and int(m[4]) < 1:
                return f"{_a(what)} step of at least 1, not {text!r}"
    return None


class ScheduleConfig(_Section):
    cron: str = "0 * * * *"
    jitter: Annotated[int, Field(ge=0)] = 300

    @field_validator("cron")
    @classmethod
    def _cron_parses(cls, value: str) -> str:
        problem = cron_problem(value)
        if problem is not None:
            raise ValueError(f"a crontab expression: {problem}")
        return value


class ServeConfig(_Section):
    listen: str = Field(default="127.0.0.1:8080", pattern=r"^[^\s:]+:\d{1,5}$")


class Config(_Section):
    repository: RepositoryConfig = RepositoryConfig()
    state: StateConfig = StateConfig()
    github: GitHubConfig = GitHubConfig()
    forges: dict[str, ForgeConfig] = {}
    policy: PolicyConfig = PolicyConfig()
    packages: dict[str, PackageConfig] = {}
    pull_requests: PullRequestConfig = PullRequestConfig()
    nix: NixConfig = NixConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    serve: ServeConfig = ServeConfig()


class Secrets(BaseModel):
    """Credentials, read from the environment only. repr() never shows them."""

    model_config = ConfigDict(frozen=True)

    github_token: str | None = Field(default=None, repr=False)
    app_private_key: str | None = Field(default=None, repr=False)
    run_token: str | None = Field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Secrets:
        e = os.environ if env is None else env
        return cls(
            github_token=e.get("GITHUB_TOKEN") or e.get("GH_TOKEN") or None,
            app_private_key=e.get("UPDATER_GITHUB_APP_PRIVATE_KEY") or None,
            run_token=e.get("UPDATER_RUN_TOKEN") or None,
        )


class Endpoints(BaseModel):
    """Where the forge lives, resolved from config, then GitHub Actions variables, then github.com."""

    model_config = ConfigDict(frozen=True)

    api_url: str
    graphql_url: str
    server_url: str
    repository: str | None

    @classmethod
    def resolve(cls, config: Config, env: Mapping[str, str] | None = None) -> Endpoints:
        e = os.environ if env is None else env
        api = (config.github.api_url or e.get("GITHUB_API_URL") or "https://api.github.com").rstrip(
            "/"
        )
        graphql = config.github.graphql_url or e.get("GITHUB_GRAPHQL_URL")
        if not graphql:
            # GitHub Enterprise serves GraphQL at /api/graphql beside REST's /api/v3.
            graphql = (
                api[: -len("/v3")] + "/graphql" if api.endswith("/api/v3") else api + "/graphql"
            )
        server = (
            config.github.server_url or e.get("GITHUB_SERVER_URL") or "https://github.com"
        ).rstrip("/")
        repo = config.repository.github or e.get("GITHUB_REPOSITORY") or None
        return cls(api_url=api, graphql_url=graphql.rstrip("/"), server_url=server, repository=repo)


_EXPECTED = {
    "extra_forbidden": "a known key (allowed here: {allowed})",
    "bool_type": "a boolean (true or false)",
    "bool_parsing": "a boolean (true or false)",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string",
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "missing": "a value (the key is required)",
}


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    current: Any = model
    parts = list(loc[:-1])
    while parts and current is not None:
        part = parts.pop(0)
        field = current.model_fields.get(str(part))
        if field is None:
            return "?"
        annotation = field.annotation
        origin = getattr(annotation, "__origin__", None)
        if origin is dict:
            current = annotation.__args__[1]  # type: ignore[union-attr]
            if parts:
                parts.pop(0)  # the dict key (a package name, a domain)
            else:
                return "any name"
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            current = annotation
        else:
            current = None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return ", ".join(sorted(current.model_fields))
    return "?"


def _describe(err: Mapping[str, Any]) -> str:
    kind = str(err.get("type", ""))
    loc = tuple(err.get("loc", ()))
    if kind in _EXPECTED:
        text = _EXPECTED[kind]
        if "{allowed}" in text:
            text = text.format(allowed=_allowed_keys(Config, loc))
        return text
    if kind == "literal_error":
        return "one of " + str(err.get("ctx", {}).get("expected", ""))
    if kind == "string_pattern_mismatch":
        return "a string matching " + str(err.get("ctx", {}).get("pattern", ""))
    if kind in ("greater_than_equal", "greater_than"):
        bound = err.get("ctx", {}).get("ge", err.get("ctx", {}).get("gt"))
        return f"a number {'>=' if kind == 'greater_than_equal' else '>'} {bound}"
    msg = str(err.get("msg", "a valid value"))
    return msg.removeprefix("Value error, ")


def parse_config(data: Mapping[str, Any], source: str) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = ".".join(str(p) for p in err["loc"]) or "(top level)"
        got = err.get("input")
        got_text = ""
        if err["type"] != "extra_forbidden" and not isinstance(got, dict) and got is not None:
            got_text = f" (got {got!r})"
        more = f" [and {len(exc.errors()) - 1} more]" if len(exc.errors()) > 1 else ""
        raise ConfigError(f"{source}: {path}: expected {_describe(err)}{got_text}{more}") from None


def find_config(
    explicit: Path | None, repo: Path, env: Mapping[str, str] | None = None
) -> Path | None:
    """The config file to read: --config, else the repo's config/updater.toml, else XDG."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: configuration file not found")
        return explicit
    candidate = repo / DEFAULT_CONFIG_RELATIVE
    if candidate.is_file():
        return candidate
    e = os.environ if env is None else env
    xdg = Path(e.get("XDG_CONFIG_HOME") or Path(e.get("HOME", "~")).expanduser() / ".config")
    candidate = xdg / "updater" / "updater.toml"
    return candidate if candidate.is_file() else None


def load_config(path: Path | None) -> Config:
    """Read and validate the file; no file means every default."""
    if path is None:
        return Config()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_config(data, str(path))
