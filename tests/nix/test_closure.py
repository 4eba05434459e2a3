"""nix/closure.py with real Nix: a derivation's fixed-output closure, and the proof that a FOD
holds its hash even when its output is already in the store (a stale hash is caught)."""

from __future__ import annotations

import hashlib
import secrets
import shutil
from pathlib import Path

import pytest

from updater.nix.closure import StaleHash, closure_of, prove, requisites
from updater.nix.runner import NixRunner
from updater.nixhash import HashAlgo, NixHash

pytestmark = pytest.mark.nix

EXPR = """{ content, h, name }:
let
  fod = derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "printf %s \\"$content\\" > $out" ];
    inherit content;
    outputHashMode = "flat";
    outputHashAlgo = "sha256";
    outputHash = h;
  };
in
derivation {
  name = "consumer";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "cat ${fod} > $out" ];
}
"""


def _instantiate(runner: NixRunner, file: Path, content: str, h: str, name: str) -> str:
    args = [str(file), "--argstr", "content", content, "--argstr", "h", h, "--argstr", "name", name]
    return runner.check("nix-instantiate", args, "instantiate").stdout.strip()


@pytest.fixture
def setup(tmp_path: Path) -> tuple[NixRunner, Path, str]:
    if shutil.which("nix-build") is None:
        pytest.skip("nix-build is not installed")
    file = tmp_path / "t.nix"
    file.write_text(EXPR)
    # a name of this test run alone: no earlier output of it is in the store
    return NixRunner(), file, f"closure-test-{secrets.token_hex(6)}"


def test_closure_finds_the_fod_and_the_stale_hash_is_caught(
    setup: tuple[NixRunner, Path, str],
) -> None:
    runner, file, name = setup
    good = NixHash(HashAlgo.SHA256, hashlib.sha256(b"one").digest()).sri
    first = _instantiate(runner, file, "one", good, name)
    closure = closure_of(runner, [first])
    (fod,) = closure.fods.values()
    assert fod.name == name and fod.hash.sri == good and not fod.recursive
    assert closure.fod_inputs(first) == {fod.drv}
    assert first in requisites(runner, [first]) and fod.drv in requisites(runner, [first])
    (proof,) = prove(runner, [fod])
    assert proof.how == "built"
    (again,) = prove(runner, [fod])
    assert again.how == "rebuilt with --check"
    # The content moves, the hash does not: the output path is the same and already valid,
    # so a plain realise would succeed after no build. The proof rebuilds and refuses.
    stale_drv = _instantiate(runner, file, "two", good, name)
    (stale,) = closure_of(runner, [stale_drv]).fods.values()
    assert stale.drv != fod.drv and stale.output == fod.output
    with pytest.raises(StaleHash) as caught:
        prove(runner, [stale])
    assert caught.value.got == NixHash(HashAlgo.SHA256, hashlib.sha256(b"two").digest())
    assert "stale fixed-output hash" in str(caught.value) and good in str(caught.value)
