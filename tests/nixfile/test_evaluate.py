"""Package attribution by Nix evaluation (real nix-instantiate)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import RepoWriter
from nixfile_helpers import sri

import updater_sandbox
from updater.engine.attribution import attribute_by_evaluation
from updater.errors import NixError
from updater.nix.inspect import evaluate_packages
from updater.nix.runner import NixRunner
from updater.nixfile.model import PinKind
from updater.nixfile.repository import scan_repository

pytestmark = pytest.mark.nix
SANDBOX = Path(updater_sandbox.__file__).parent
REV = "0123456789abcdef0123456789abcdef01234567"


def test_dynamic_names_are_attributed_through_evaluation(write_repo: RepoWriter) -> None:
    repo = write_repo(
        {
            # the exported names are computed: no static reading can know them
            "default.nix": f"""{{ }}:
let
  fetchFromGitHub = args: {{ outputHash = args.hash; name = "source"; }};
  src = import ./pkgs/dyn/source.nix {{ inherit fetchFromGitHub; }};
  mk = n: {{ pname = n; inherit src; version = "1"; }};
in
builtins.listToAttrs (map (n: {{ name = "dyn-${{n}}"; value = mk n; }}) [ "a" "b" ])
  // {{ broken = throw "no"; other = {{ src = {{ outputHash = "{sri(9)}"; }}; }}; }}
""",
            "pkgs/dyn/source.nix": f"""{{ fetchFromGitHub }}:
fetchFromGitHub {{ owner = "o"; repo = "dyn"; rev = "{REV}"; hash = "{sri(1)}"; }}
""",
        }
    )
    static = scan_repository(repo)
    assert all(not p.packages for p in static.pins)
    evaluated = evaluate_packages(repo)
    assert evaluated["broken"].ok is False
    assert evaluated["dyn-a"].hashes == (("src", sri(1)),)
    result = attribute_by_evaluation(static, evaluated)
    by_kind = {p.kind: p for p in result.pins}
    assert by_kind[PinKind.HASH].packages == ("dyn-a", "dyn-b")
    assert by_kind[PinKind.REV].packages == ("dyn-a", "dyn-b")
    assert by_kind[PinKind.SRC].packages == ("dyn-a", "dyn-b")


def test_fixture_nur_evaluation_agrees_with_the_static_reading() -> None:
    env = dict(os.environ, NIX_PATH=f"nixpkgs={SANDBOX / 'nixpkgs'}")
    nur = SANDBOX / "nur"
    static = scan_repository(nur)
    result = attribute_by_evaluation(static, evaluate_packages(nur, runner=NixRunner(base_env=env)))
    for before, after in zip(static.pins, result.pins, strict=True):
        assert set(before.packages) <= set(after.packages)
        assert set(after.packages) - set(before.packages) == set(), (after.file, after.line)
    bigsky_hash = result.pin_at("pkgs/indigo/bigsky.nix", 10, PinKind.HASH)
    assert bigsky_hash is not None and "bigsky" in bigsky_hash.aliases


def test_a_repository_that_does_not_evaluate_is_a_nix_error(write_repo: RepoWriter) -> None:
    repo = write_repo({"default.nix": "{ }: { a = ; }\n", "pkgs/x.nix": "{ }: { }\n"})
    with pytest.raises(NixError, match="default.nix"):
        evaluate_packages(repo)
