"""The product installs without the test world: the wheel built from the files the Dockerfile and
deploy/nixos take holds no sandbox and needs no graphql-core; the demo extra brings both; and
with neither importable every product module still imports, `updater --help` works and
`updater demo` says in one line what to install."""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# What a plain install lacks; blocked in sys.modules, `import` of them raises ImportError.
BLOCK = "import sys; sys.modules['updater_sandbox'] = None; sys.modules['graphql'] = None\n"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("product-src")
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "updater", src / "updater", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(out), str(src)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    (built,) = out.glob("updater-*.whl")
    return built


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        return email.message_from_bytes(z.read(name))


def test_the_wheel_holds_no_test_world(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    assert "updater/cli.py" in names
    assert "updater/nix/inspect.nix" in names  # the product's own data files still ship
    assert [n for n in names if "sandbox" in n] == []


def test_graphql_core_and_the_sandbox_come_only_with_the_demo_extra(wheel: Path) -> None:
    meta = _metadata(wheel)
    requires = meta.get_all("Requires-Dist") or []
    assert [r for r in requires if "graphql" in r.lower()] == []
    sandbox = [r for r in requires if r.startswith("updater-sandbox")]
    assert sandbox and all("extra ==" in r for r in sandbox)
    assert any('extra == "demo"' in r for r in sandbox)
    assert any('extra == "test"' in r for r in sandbox)
    assert {"demo", "test", "postgres"} <= set(meta.get_all("Provides-Extra") or [])
    # The direct reference names sandbox/ beside the sources built (the wheel was built from a
    # copy), whose own metadata needs graphql-core.
    assert all(f"{wheel.parents[1].as_uri()}/product-src" in r for r in sandbox), sandbox
    assert all(r.split(" ;")[0].endswith("/sandbox") for r in sandbox), sandbox
    assert "graphql-core" in (REPO / "sandbox" / "pyproject.toml").read_text(encoding="utf-8")


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + textwrap.dedent(code)],
        capture_output=True, text=True, timeout=120, cwd=REPO / "tests",
    )  # fmt: skip


def test_every_product_module_imports_without_the_test_world() -> None:
    proc = _python(
        """
        import importlib, pkgutil, updater
        found = pkgutil.walk_packages(updater.__path__, "updater.")
        names = [m.name for m in found if m.name != "updater.__main__"]  # that one runs the CLI
        for name in names:
            importlib.import_module(name)
        print(len(names))
        """
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert int(proc.stdout) > 50


def test_help_works_and_demo_says_what_to_install_without_the_test_world(tmp_path: Path) -> None:
    cli = "from updater.cli import main; main(sys.argv[1:])"
    help_ = _python(f"import sys; sys.argv[1:] = ['--help']; {cli}")
    assert help_.returncode == 0, help_.stderr
    assert "demo" in help_.stdout.split("Commands:")[1]
    demo = _python(f"import sys; sys.argv[1:] = ['--repo', {str(tmp_path)!r}, 'demo']; {cli}")
    assert demo.returncode == 2
    assert demo.stdout == ""
    (line,) = demo.stderr.splitlines()
    assert line.startswith("updater: error: ") and "pip install '.[demo]'" in line
