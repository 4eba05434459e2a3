"""Real NUR layouts (fixture trees under tests/nixfile/layouts, written to reproduce the shapes
of public NURs): the packages a user builds, every pin named by them, files other tools write,
per-platform maps, modern Nix read without warnings, byte-exact edits of nixfmt-style files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from updater.engine.units import select, units_of
from updater.errors import UsageError
from updater.nixfile.edit import apply_edits, edit_for
from updater.nixfile.model import HashFormat, Pin, PinKind, ScanResult
from updater.nixfile.repository import scan_repository

LAYOUTS = Path(__file__).parent / "layouts"


def scan(name: str) -> ScanResult:
    return scan_repository(LAYOUTS / name)


def names(result: ScanResult) -> set[str]:
    return {p.name for p in result.packages}


def pin(result: ScanResult, file: str, line: int) -> Pin:
    found = [p for p in result.pins if p.file == file and p.line == line]
    assert len(found) == 1, (file, line, found)
    return found[0]


def test_by_name_tree_in_a_scope_names_what_users_build() -> None:
    result = scan("byname")
    # by-name shards are not part of the name; a nested scope gives a nested path; the
    # scope's helpers (a fetcher, craneLib, a plain set) and the NixOS modules are not packages
    assert names(result) == {"aamath", "cyme", "python3Packages.widgetlib"}
    assert result.warnings == () and result.errors == ()  # nixfmt's trailing commas: valid
    cargo = pin(result, "pkgs/by-name/cy/cyme/package.nix", 18)
    assert cargo.kind is PinKind.CARGO_HASH and cargo.packages == ("cyme",)
    assert cargo.refresh.startswith("yes")
    widget = pin(result, "pkgs/python/widgetlib.nix", 10)
    assert widget.packages == ("python3Packages.widgetlib",) and widget.format is HashFormat.BASE32
    # a hash in a fetcher the bot has no refresher for is a pin all the same, and says so
    patch = pin(result, "pkgs/by-name/aa/aamath/package.nix", 22)
    assert patch.kind is PinKind.HASH and patch.packages == ("aamath",)
    assert patch.refresh == "no: in fetchpatch, a call the bot has no refresher for"


def test_package_accepts_every_listed_name_and_suggests_the_closest() -> None:
    result = scan("byname")
    units = units_of(result)
    for name in names(result):
        chosen = select(units, [name], result)
        assert chosen and all(name in u.packages for u in chosen), name
    with pytest.raises(UsageError, match=r"unknown package\(s\): cym \(did you mean cyme"):
        select(units, ["cym"], result)
    with pytest.raises(UsageError, match="did you mean python3Packages.widgetlib"):
        select(units, ["widgetlib"], result)


def test_flake_outputs_overlays_and_pipe_operators() -> None:
    result = scan("flake")
    # packages.${system} from the directory walk (nested: tools.gadget), the overlay's own
    # attributes; nixosModules is not a package
    assert names(result) == {"cyme", "tools.gadget", "gizmo"}
    # the pipe operators warn once per file, and only where they are operators
    assert [(w.file, w.line) for w in result.warnings] == [("default.nix", 11)]
    assert "pipe operators" in result.warnings[0].message and result.errors == ()
    assert pin(result, "pkgs/tools/gadget/package.nix", 14).packages == ("tools.gadget",)
    assert pin(result, "overlay/gizmo.nix", 7).packages == ("gizmo",)


def test_call_package_tree_scopes_aliases_and_what_git_ignores() -> None:
    result = scan("tree")
    assert names(result) == {
        "asciinema-edit",  # readDir of pkgs/: named after its directory
        "bed-tool",
        "emacsPackages.pyim-dict",  # through `inherit (scope) emacsPackages;`
        "fishPlugins.bang-bang",  # through a function of the scope (fishPluginsFor)
    }
    # the attributes inside a package's arguments are never packages (no `bed-dontPatchELF`,
    # no `asciinema-edit-src`), nor ci.nix's lists
    assert not any(
        "dontPatchELF" in n or n.endswith("-src") or "buildPkgs" in n for n in names(result)
    )
    assert "ignored/leftover.nix" not in result.files  # .gitignore
    asciinema = pin(result, "pkgs/asciinema-edit/default.nix", 18)
    assert asciinema.kind is PinKind.VENDOR_HASH and asciinema.packages == ("asciinema-edit",)


def test_files_written_by_nvfetcher_and_npins_are_managed_not_edited() -> None:
    result = scan("tree")
    managed = {(m.tool, m.name): m for m in result.managed}
    assert managed["nvfetcher", "bang-bang"].packages == ("fishPlugins.bang-bang",)
    assert managed["nvfetcher", "pyim-dict"].packages == ("emacsPackages.pyim-dict",)
    assert managed["nvfetcher", "unused"].packages == ()  # no file selects it
    assert managed["nvfetcher", "bang-bang"].command == "nvfetcher --filter '^bang-bang$'"
    assert managed["npins", "Comment.nvim"].packages == ("vimPlugins",)
    assert managed["npins", "Comment.nvim"].command == "npins update Comment.nvim"
    generated = [p for p in result.pins if p.file == "_sources/generated.nix"]
    assert generated and all(p.managed_by == "nvfetcher" and p.skipped for p in generated)
    source = pin(result, "_sources/generated.nix", 17)
    assert source.packages == ("fishPlugins.bang-bang",)
    assert source.refresh == "no: managed by nvfetcher"


def test_per_platform_maps_in_the_three_shapes() -> None:
    result = scan("platforms")
    by_system = {
        (p.file, p.system): p for p in result.pins if p.system is not None and p.kind.is_hash
    }
    # hashes = { system = ".."; } used as "sha256:" + (hashes.${system} or (throw ..))
    for system in ("x86_64-linux", "aarch64-linux", "x86_64-darwin"):
        entry = by_system["workerd.nix", system]
        assert entry.format is HashFormat.PREFIXED and entry.value.startswith("sha256:")
        assert entry.packages == ("workerd",)
    # outputHash = nodeModulesHashes.${system}: two systems sharing a value stay two pins
    linux, arm = by_system["dash.nix", "x86_64-linux"], by_system["dash.nix", "aarch64-linux"]
    assert linux.value == arm.value and linux.location != arm.location
    assert linux.kind is PinKind.OUTPUT_HASH and ("dash.nix", "aarch64-darwin") in by_system
    # if stdenv.system == .. then { url; sha256; } else ..: one malformed (`sha256-` and hex)
    assert by_system["tailwind.nix", "x86_64-linux"].format is HashFormat.SRI
    malformed = by_system["tailwind.nix", "x86_64-darwin"]
    assert malformed.format is HashFormat.MALFORMED and malformed.packages == ("tailwind",)


def test_hashes_in_calls_the_bot_does_not_know_are_pins_with_a_reason() -> None:
    result = scan("platforms")
    modules = pin(result, "goapp.nix", 11)
    assert modules.refresh == "no: in fetchGoModules, a call the bot has no refresher for"
    sdk = pin(result, "goapp.nix", 16)
    assert sdk.format is HashFormat.BASE32 and "requireFile" in sdk.refresh
    git_dep = pin(result, "goapp.nix", 26)
    assert git_dep.kind is PinKind.CARGO_HASH and git_dep.packages == ("goapp",)
    assert all(p.packages == ("goapp",) for p in result.pins if p.file == "goapp.nix")


def test_byte_exact_edit_of_a_nixfmt_file(tmp_path: Path) -> None:
    repo = tmp_path / "byname"
    shutil.copytree(LAYOUTS / "byname", repo)
    before = scan_repository(repo)
    target = pin(before, "pkgs/by-name/cy/cyme/package.nix", 18)
    path = repo / target.file
    old = path.read_bytes()
    new_hash = "sha256-" + "A" * 43 + "="
    apply_edits(repo, [edit_for(target, new_hash)])
    new = path.read_bytes()
    assert new == old[: target.start] + new_hash.encode() + old[target.end :]
    after = scan_repository(repo)
    assert pin(after, target.file, 18).value == new_hash
    assert len(after.pins) == len(before.pins) and after.warnings == ()


def test_exclude_setting_leaves_files_out() -> None:
    result = scan_repository(LAYOUTS / "byname", exclude=("pkgs/by-name/cy/",))
    assert "cyme" not in names(result) and "aamath" in names(result)
    assert not any(f.startswith("pkgs/by-name/cy/") for f in result.files)


def test_a_syntax_error_is_one_error_and_scan_exits_1(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(LAYOUTS / "byname", repo)
    broken = repo / "pkgs/by-name/cy/cyme/package.nix"
    broken.write_text(broken.read_text().replace('cargoHash = "', 'cargoHash = ) "', 1))
    result = scan_repository(repo)
    assert [(e.file, e.line, e.column) for e in result.errors] == [
        ("pkgs/by-name/cy/cyme/package.nix", 18, 15)
    ]
    assert result.warnings == ()
    done = subprocess.run(
        [sys.executable, "-m", "updater", "--repo", str(repo), "scan", "--format", "jsonl"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "error: pkgs/by-name/cy/cyme/package.nix:18:15: syntax error" in done.stderr
    assert any('"aamath"' in line for line in done.stdout.splitlines())


def test_scan_packages_lists_names_files_and_sources() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "updater", "--repo", str(LAYOUTS / "byname"), "scan", "--packages"],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "80", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert any("python3Packages.widgetlib" in line for line in lines)
    assert lines[-1] == "3 packages, 2 with pinned sources"  # fetchPypi: no upstream URL
