"""The hash-mismatch parser on samples of every wording Nix and Lix have printed."""

from __future__ import annotations

import pytest

from updater.nix.mismatch import Mismatch, parse_mismatches
from updater.nixhash import FAKE_SRI, parse

GOT = "sha256-t1KrkiP0SuCSd5lffdJLOoHk6QB6TLkZkB4PkqGJYnY="
GOT_B32 = "0xk2i6hr43qyj0cvjk3s03ly909s9g97spwrfy9f0jpl4f9anlmp"  # the same digest
DRV = "/nix/store/vcm8c84s3961x8mgyk4jh6clrcfzik6d-source.drv"
OUT = "/nix/store/9qk25fygkjk0kssllrgcwkszaxdp406g-source"

# Captured from this machine's Nix 2.8 (nix-build).
NIX_2_8 = f"""this derivation will be built:
  {DRV}
building '{DRV}'...
error: hash mismatch in fixed-output derivation '{DRV}':
         specified: {FAKE_SRI}
            got:    {GOT}
"""

# Nix 2.1x/2.2x on a terminal: colours, `likely URL`, and `nix build -L` log prefixes.
NIX_2_2X = (
    "source> trying https://example.org/a.tar.gz\n"
    "\x1b[31;1merror:\x1b[0m hash mismatch in fixed-output derivation "
    f"'\x1b[35;1m{DRV}\x1b[0m':\n"
    "         likely URL: https://example.org/a.tar.gz\n"
    f"          specified: \x1b[33;1m{FAKE_SRI}\x1b[0m\n"
    f"             got:    \x1b[32;1m{GOT}\x1b[0m\n"
    "\x1b[31;1merror:\x1b[0m 1 dependencies of derivation '/nix/store/x-pkg.drv' failed to build\n"
)

# Lix: a guessed URL, `got:` without padding, and both output paths.
LIX = f"""error: hash mismatch in fixed-output derivation '{DRV}':
        likely URL: (unknown)
         specified: {FAKE_SRI}
               got: {GOT}
     expected path: /nix/store/2kkjd4jwqcqikkgapajzyh6bn2xzjiwb-source
          got path: {OUT}
"""

# Nix 2.3: names the output path made from the got hash; `wanted:`; `sha256:` base32.
NIX_2_3 = f"""building '{DRV}'...
hash mismatch in fixed-output derivation '{OUT}':
  wanted: sha256:0000000000000000000000000000000000000000000000000000
  got:    sha256:{GOT_B32}
cannot build derivation '/nix/store/x-pkg.drv': 1 dependencies couldn't be built
"""

# Nix 2.0-2.2: one line; the got hash comes first.
NIX_2_0 = (
    f"output path '{OUT}' has sha256 hash '{GOT_B32}' when "
    "'0000000000000000000000000000000000000000000000000000' was expected\n"
)


def _one(log: str) -> Mismatch:
    found = parse_mismatches(log)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("log", [NIX_2_8, NIX_2_2X, LIX], ids=["nix-2.8", "nix-2.2x", "lix"])
def test_forms_naming_the_drv(log: str) -> None:
    m = _one(log)
    assert (m.drv_path, m.output_path) == (DRV, None)
    assert m.specified.is_fake and m.got.sri == GOT
    assert m.name == "source"


def test_likely_url_is_kept_unless_unknown() -> None:
    assert _one(NIX_2_2X).url == "https://example.org/a.tar.gz"
    assert _one(LIX).url is None


@pytest.mark.parametrize("log", [NIX_2_3, NIX_2_0], ids=["nix-2.3", "nix-2.0"])
def test_old_forms_name_an_output_path(log: str) -> None:
    m = _one(log)
    assert (m.drv_path, m.output_path) == (None, OUT)
    assert m.specified.is_fake and m.got == parse(GOT)


def test_concerns_matches_exactly_on_drv_and_by_output_or_name_for_old_nix() -> None:
    new = _one(NIX_2_8)
    assert new.concerns(DRV)
    assert not new.concerns("/nix/store/zzzz-source.drv")
    old = _one(NIX_2_0)
    assert old.concerns("/nix/store/zzzz-other.drv", (OUT,))
    assert old.concerns("/nix/store/zzzz-source.drv")  # Nix 2.3 gives us only the name
    assert not old.concerns("/nix/store/zzzz-source-go-modules.drv")


def test_several_mismatches_in_one_keep_going_log() -> None:
    other = "/nix/store/aaaa-foo-1.0-go-modules.drv"
    log = (
        NIX_2_8
        + f"building '{other}'...\n"
        + f"error: hash mismatch in fixed-output derivation '{other}':\n"
        + f"         specified: {GOT}\n"
        + f"            got:    {FAKE_SRI}\n"
        + "error: build of '/nix/store/x-pkg.drv' failed\n"
    )
    found = parse_mismatches(log)
    assert [m.drv_path for m in found] == [DRV, other]
    assert found[1].name == "foo-1.0-go-modules" and found[1].got.is_fake


def test_repeated_report_is_returned_once() -> None:
    assert len(parse_mismatches(NIX_2_8 + NIX_2_8)) == 1


@pytest.mark.parametrize(
    "log",
    [
        "",
        "error: builder for '/nix/store/x-source.drv' failed with exit code 1",
        # A header whose hash lines are missing or garbled is not a mismatch we can use.
        f"error: hash mismatch in fixed-output derivation '{DRV}':\nerror: something else\n",
        f"error: hash mismatch in fixed-output derivation '{DRV}':\n  specified: {FAKE_SRI}\n  got:    sha256-garbage\n",
        # A substituter's import mismatch is not a fixed-output derivation's.
        f"error: hash mismatch importing path '{OUT}';\n  specified: sha256:{GOT_B32}\n  got:       sha256:{GOT_B32}\n",
    ],
)
def test_no_false_positives(log: str) -> None:
    assert parse_mismatches(log) == []
