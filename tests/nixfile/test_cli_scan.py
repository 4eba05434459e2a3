"""`updater scan`: the jsonl contract, the table, warnings on stderr."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import RepoWriter
from nixfile_helpers import sri

REV = "0123456789abcdef0123456789abcdef01234567"
CONTRACT = {
    "file",
    "line",
    "kind",
    "value",
    "format",
    "group",
    "forge",
    "domain",
    "owner",
    "repo",
    "system",
    "packages",
}
KINDS = {
    "src",
    "rev",
    "tag",
    "hash",
    "version",
    "vendorHash",
    "npmDepsHash",
    "cargoHash",
    "pnpmDepsHash",
    "outputHash",
    "url",
}


def run(repo: object, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "updater", "--repo", str(repo), "scan", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_jsonl_contract_and_warnings_on_stderr(write_repo: RepoWriter) -> None:
    repo = write_repo(
        {
            "pkgs/o/default.nix": "{ callPackage }: { tool = callPackage ./tool.nix { }; }\n",
            "pkgs/o/tool.nix": f"""{{ buildGoModule, fetchFromGitHub, }}:
buildGoModule {{
  pname = "tool";
  version = "1.0";
  src = fetchFromGitHub {{ owner = "o"; repo = "tool"; rev = "{REV}"; hash = "{sri(1)}"; }};
  vendorHash = "{sri(2)}"; # updater: nonsense
}}
""",
        }
    )
    done = run(repo, "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert records and all(CONTRACT <= set(r) for r in records)
    assert {r["kind"] for r in records} <= KINDS
    by_kind = {r["kind"]: r for r in records}
    assert (by_kind["rev"]["file"], by_kind["rev"]["line"], by_kind["rev"]["value"]) == (
        "pkgs/o/tool.nix",
        5,
        REV,
    )
    assert by_kind["hash"]["format"] == "sri"
    assert {r["group"] for r in records} == {"github.com/o/tool"}
    assert all(r["packages"] == ["o-tool"] for r in records)
    # the trailing comma of nixfmt is valid Nix: only the unknown directive is warned about
    assert "pkgs/o/tool.nix:1:" not in done.stderr and "pkgs/o/tool.nix:6:" in done.stderr

    table = run(repo)
    assert table.returncode == 0
    assert "https://github.com/o/tool" in table.stdout and "vendorHash" in table.stdout

    document = json.loads(run(repo, "--format", "json").stdout)
    assert len(document["pins"]) == len(records) and len(document["warnings"]) == 1


def test_missing_pkgs_dir_is_a_usage_error(write_repo: RepoWriter) -> None:
    repo = write_repo({"README": "no packages"})
    done = run(repo)
    assert done.returncode == 2 and "no such directory" in done.stderr
