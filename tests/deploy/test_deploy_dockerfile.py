"""Dockerfile and .dockerignore: linted by hadolint and read as data.

Docker itself cannot run on this machine (no daemon, no registry access for base images), so
the image is never built here; what can be exercised for real is: the healthcheck command
(against a local HTTP server), the container's config file (through the real config loader)
and the build context (through .dockerignore's rules).
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from deploy_support import DEPLOY, REPO, tool

from updater.config import ServeConfig, load_config

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"


def instructions() -> list[tuple[int, str, str]]:
    """(line number, INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    result: list[tuple[int, str, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(DOCKERFILE.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if not pending:
            start = number
        pending.append(line.removesuffix("\\").strip())
        if not line.endswith("\\"):
            text = " ".join(part for part in pending if part)
            keyword, _, rest = text.partition(" ")
            result.append((start, keyword.upper(), rest.strip()))
            pending = []
    return result


def of(kind: str) -> list[str]:
    return [args for _, keyword, args in instructions() if keyword == kind]


def hadolint(*extra: str) -> list[dict[str, object]]:
    proc = subprocess.run(
        [tool("hadolint"), "--no-color", "--no-fail", "-f", "json", *extra, str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    findings = json.loads(proc.stdout or "[]")
    assert isinstance(findings, list)
    return findings


def test_hadolint_reports_no_warning_or_error() -> None:
    serious = [f for f in hadolint() if f["level"] in ("error", "warning")]
    assert serious == []


def test_every_ignored_hadolint_rule_is_needed_and_explained() -> None:
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    pragmas = {
        number: set(match.group(1).split(","))
        for number, line in enumerate(lines, 1)
        if (match := re.match(r"#\s*hadolint ignore=([\w,]+)", line.strip()))
    }
    unsilenced = hadolint("--disable-ignore-pragma")
    for finding in unsilenced:
        if finding["level"] not in ("error", "warning"):
            continue
        line = int(str(finding["line"]))
        # The pragma sits right above the instruction, a comment saying why right above it.
        assert finding["code"] in pragmas.get(line - 1, set()), finding
        assert lines[line - 3].lstrip().startswith("#") and "hadolint" not in lines[line - 3]
    needed = {(int(str(f["line"])) - 1, str(f["code"])) for f in unsilenced}
    for number, codes in pragmas.items():
        for code in codes:
            assert (number, code) in needed, f"line {number}: {code} is ignored but never raised"


def test_the_image_runs_as_an_unprivileged_user() -> None:
    users = of("USER")
    assert users, "no USER instruction: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    # The same uid owns /nix (single-user Nix) and the repository mount point.
    runs = " ".join(of("RUN"))
    assert re.search(rf"useradd\b[^&]*--uid {re.escape(user)}\b", runs)
    assert re.search(r"chown -R updater:updater /nix\b", runs)


def test_base_images_are_pinned_by_tag() -> None:
    images = [args.split()[0] for args in of("FROM")]
    assert images
    for image in images:
        assert "@sha256:" in image or re.search(r":[\w.\-]*\d[\w.\-]*$", image), image
        assert not image.endswith(":latest")


def test_apt_installs_only_what_is_asked_and_leaves_no_lists() -> None:
    installs = [run for run in of("RUN") if "apt-get install" in run]
    assert installs
    for run in installs:
        assert "--no-install-recommends" in run
        assert re.search(r"apt-get install -y\b", run)
        assert "rm -rf /var/lib/apt/lists/*" in run
        assert "nix-bin" in run.split() and "git" in run.split()


def test_nix_conf_disables_the_sandbox_and_says_why() -> None:
    copies = of("COPY")
    assert any(c.split()[-1] == "/etc/nix/nix.conf" for c in copies)
    text = (DEPLOY / "docker" / "nix.conf").read_text(encoding="utf-8")
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if re.fullmatch(r"sandbox\s*=\s*false", line))
    assert lines[index - 1].startswith("#"), "sandbox = false without a comment saying why"


def test_the_containers_own_config_is_valid_and_listens_where_the_port_is_exposed() -> None:
    config = load_config(DEPLOY / "docker" / "updater.toml")
    host, port = config.serve.listen.rsplit(":", 1)
    assert host == "0.0.0.0"  # reachable through `docker run -p`
    assert port in " ".join(of("EXPOSE")).split()
    assert any("/.config/updater/updater.toml" in c for c in of("COPY"))


# ---- the healthcheck, run for real ----------------------------------------------------------


def healthcheck_argv() -> list[str]:
    (check,) = of("HEALTHCHECK")
    exec_form = check[check.index("CMD") + 3 :].strip()
    argv = json.loads(exec_form)
    assert isinstance(argv, list) and all(isinstance(a, str) for a in argv)
    assert argv[0] == "python3"
    return [sys.executable, *argv[1:]]


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[str, type[_Health]]]:
    handler = type("Handler", (_Health,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/healthz", handler
    finally:
        server.shutdown()
        server.server_close()


def probe(url: str) -> int:
    return subprocess.run(
        healthcheck_argv(),
        env={"UPDATER_HEALTHCHECK_URL": url},
        capture_output=True,
        timeout=30,
    ).returncode


def test_healthcheck_passes_when_healthz_answers_ok(
    health_server: tuple[str, type[_Health]],
) -> None:
    url, _ = health_server
    assert probe(url) == 0


def test_healthcheck_fails_when_healthz_reports_trouble(
    health_server: tuple[str, type[_Health]],
) -> None:
    url, handler = health_server
    handler.status = 503
    assert probe(url) != 0


def test_healthcheck_fails_when_nothing_listens(health_server: tuple[str, type[_Health]]) -> None:
    url, _ = health_server
    assert probe(url.replace("/healthz", "/elsewhere")) != 0


def test_healthcheck_defaults_to_the_serve_commands_default_address() -> None:
    (check,) = of("HEALTHCHECK")
    port = ServeConfig().listen.rsplit(":", 1)[1]
    assert f"http://127.0.0.1:{port}/healthz" in check


# ---- the build context ----------------------------------------------------------------------


def admitted(path: str) -> bool:
    """.dockerignore's rule: the last pattern matching the path (or a parent) decides."""
    verdict = True
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.removeprefix("!").rstrip("/")
        candidates = [pattern]
        if pattern.startswith("**/"):
            candidates.append(pattern[3:])
        if any(fnmatch.fnmatchcase(p, c) for p in prefixes for c in candidates):
            verdict = negate
    return verdict


def test_dockerignore_admits_what_the_dockerfile_copies_and_nothing_private() -> None:
    sources: list[str] = []
    for args in of("COPY"):
        words = [w for w in args.split() if not w.startswith("--")]
        if any(w.startswith("--from") for w in args.split()):
            continue
        sources += words[:-1]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: no such file in the repository"
        assert admitted(source.rstrip("/") + ("/__init__.py" if source == "updater" else "")), (
            source
        )
    for private in (
        ".git/config",
        ".venv/bin/python",
        "tests/deploy/conftest.py",
        ".updater/state.db",
    ):
        assert not admitted(private), private
    assert not admitted("updater/__pycache__/cli.cpython-311.pyc")


def test_the_build_installs_the_postgres_extra_it_names() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r"^postgres\s*=", pyproject, re.MULTILINE)
    assert any('".[postgres]"' in run for run in of("RUN"))
