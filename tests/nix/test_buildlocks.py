"""Hash-fixing builds of fake fixed-output derivations that share an output path (every fake
`source` fetcher does): realised one after the other, never waiting Nix's 5 s poll interval."""

from __future__ import annotations

import base64
import hashlib
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from updater.nix.buildlocks import BuildLocks, batches, drv_outputs
from updater.nix.fixing import fix_drvs
from updater.nix.inspect import drv_paths
from updater.nix.runner import Installable, NixOptions, NixRunner

_FODS = """
let
  fod = text: derivation {
    name = "source";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "echo ${text} > $out" ];
    outputHashMode = "flat";
    outputHashAlgo = "sha256";
    outputHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  };
in { a = fod "alpha-%(salt)s"; b = fod "beta-%(salt)s"; c = fod "gamma-%(salt)s"; }
"""


# No binary cache to ask first (there is no network): a build starts at once.
_RUNNER = NixRunner(NixOptions(extra_env=(("NIX_CONFIG", "substituters ="),)))


def _sri(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(f"{text}\n".encode()).digest()).decode()


@pytest.fixture
def fods(tmp_path: Path) -> tuple[list[str], str]:
    if shutil.which("nix-instantiate") is None:
        pytest.skip("nix is not installed")
    salt = tmp_path.name.replace("_", "-")
    (tmp_path / "default.nix").write_text(_FODS % {"salt": salt})
    names = ["a", "b", "c"]
    drvs = drv_paths(_RUNNER, [Installable(tmp_path, n) for n in names])
    return drvs, salt


def test_drv_outputs_reads_the_output_path_every_fake_source_shares(
    fods: tuple[list[str], str],
) -> None:
    drvs, _ = fods
    outputs = [drv_outputs(d) for d in drvs]
    assert outputs[0] is not None and outputs[0][0].endswith("-source")
    assert outputs[0] == outputs[1] == outputs[2]  # same name, same fake hash: one path
    assert drv_outputs("/nonexistent.drv") is None


def test_batches_never_put_two_writers_of_one_path_together() -> None:
    outputs = {"a": ("/nix/store/x-source",), "b": ("/nix/store/x-source",), "c": ("/nix/store/y",)}
    assert batches(["a", "b", "c"], outputs) == [["a", "c"], ["b"]]


@pytest.mark.nix
def test_one_realise_of_fakes_sharing_an_output_path_does_not_wait(
    fods: tuple[list[str], str],
) -> None:
    drvs, salt = fods
    started = time.monotonic()
    fixed = fix_drvs(_RUNNER, drvs)
    assert time.monotonic() - started < 4.0  # Nix's own lock retry waits 5 s
    assert [fixed[d].got.sri for d in drvs] == [
        _sri(f"{w}-{salt}") for w in ("alpha", "beta", "gamma")
    ]


@pytest.mark.nix
def test_parallel_units_share_the_locks_and_do_not_wait(fods: tuple[list[str], str]) -> None:
    drvs, salt = fods
    locks = BuildLocks()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=3) as pool:
        got = list(pool.map(lambda d: fix_drvs(_RUNNER, [d], locks)[d].got.sri, drvs))
    assert time.monotonic() - started < 4.0
    assert got == [_sri(f"{w}-{salt}") for w in ("alpha", "beta", "gamma")]


def test_everything_excludes_every_output_lock() -> None:
    locks = BuildLocks()
    events: list[str] = []
    inside = threading.Event()

    def exclusive() -> None:
        with locks.everything():
            events.append("exclusive in")
            inside.set()
            time.sleep(0.2)
            events.append("exclusive out")

    thread = threading.Thread(target=exclusive)
    thread.start()
    inside.wait(5)
    with locks.outputs(["/nix/store/y"]):
        events.append("output")
    thread.join(5)
    assert events == ["exclusive in", "exclusive out", "output"]
