"""Hash notations: known vectors, round-trips, and a cross-check against Nix's own nix-hash."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from updater import nixhash
from updater.errors import UnsafeValueError
from updater.nixhash import FAKE_SHA256, FAKE_SRI, HashAlgo, HashFormat, NixHash

# sha256("abc") in every notation, computed with sha256sum / nix-hash 2.8.
ABC_HEX = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
ABC_B32 = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"
ABC_SRI = "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
ABC512_B32 = "2gs8k559z4rlahfx0y688s49m2vvszylcikrfinm30ly9rak69236nkam5ydvly1ai7xac99vxfc4ii84hawjbk876blyk1jfhkbbyx"
ABC512_SRI = "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="
ABC1_B32 = "kpcd173cq987hw957sx6m0868wv3x6d9"
ABC1_SRI = "sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0="


def test_known_vector_in_every_notation() -> None:
    h = nixhash.parse(ABC_SRI)
    assert (h.algo, h.base16, h.base32, h.sri) == (HashAlgo.SHA256, ABC_HEX, ABC_B32, ABC_SRI)
    assert h.prefixed == f"sha256:{ABC_B32}"
    for literal in (ABC_HEX, ABC_B32, ABC_SRI, f"sha256:{ABC_B32}", f"sha256:{ABC_HEX}"):
        assert nixhash.parse(literal) == h


def test_sha512_and_sha1_vectors() -> None:
    assert nixhash.convert(ABC512_SRI, HashFormat.BASE32) == ABC512_B32
    assert nixhash.convert(f"sha512:{ABC512_B32}", HashFormat.SRI) == ABC512_SRI
    assert nixhash.convert(ABC512_B32, HashFormat.SRI, HashAlgo.SHA512) == ABC512_SRI
    assert nixhash.convert(ABC1_SRI, HashFormat.BASE32) == ABC1_B32
    assert nixhash.convert(f"sha1:{ABC1_B32}", HashFormat.SRI) == ABC1_SRI


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        (ABC_SRI, HashFormat.SRI),
        (ABC_B32, HashFormat.BASE32),
        (ABC_HEX, HashFormat.BASE16),
        (ABC_HEX.upper(), HashFormat.BASE16),
        ("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", HashFormat.BASE64),
        (f"sha256:{ABC_B32}", HashFormat.PREFIXED),
        (f"sha256:{ABC_HEX}", HashFormat.PREFIXED),
        (ABC512_SRI, HashFormat.SRI),
        # Placeholders: lib.fakeHash, lib.fakeSha256, zero digests in any notation.
        ("sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", HashFormat.FAKE),
        ("0000000000000000000000000000000000000000000000000000", HashFormat.FAKE),
        ("0" * 64, HashFormat.FAKE),
        ("sha256:" + "0" * 52, HashFormat.FAKE),
        ("sha512-" + "A" * 86 + "==", HashFormat.FAKE),
        # Notation mix-ups seen in real files: sha256- followed by base32 or hex.
        (f"sha256-{ABC_B32}", HashFormat.MALFORMED),
        (f"sha256-{ABC_HEX}", HashFormat.MALFORMED),
        # Wrong lengths, bad characters, overflow, empty, unknown algorithm.
        (ABC_SRI[:-2] + "=", HashFormat.MALFORMED),
        (ABC_B32[:-1], HashFormat.MALFORMED),
        (ABC_B32[:-1] + "e", HashFormat.MALFORMED),  # 'e' is not in Nix's alphabet
        ("z" + ABC_B32[1:], HashFormat.MALFORMED),  # top digit overflows 256 bits
        (ABC_HEX[:-1] + "g", HashFormat.MALFORMED),
        ("", HashFormat.MALFORMED),
        ("sha256-", HashFormat.MALFORMED),
        ("sha256:", HashFormat.MALFORMED),
        ("sha384-" + ABC_SRI[7:], HashFormat.MALFORMED),
        (" " + ABC_SRI, HashFormat.MALFORMED),
        (ABC_SRI + "\n", HashFormat.MALFORMED),
        ("sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0", HashFormat.MALFORMED),
    ],
)
def test_classify(literal: str, expected: HashFormat) -> None:
    assert nixhash.classify(literal) is expected


def test_fake_constants_match_nixpkgs_lib() -> None:
    assert FAKE_SRI == "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    assert FAKE_SHA256 == "0" * 52
    assert nixhash.FAKE_SHA512 == "0" * 103
    assert nixhash.is_fake(FAKE_SRI) and not nixhash.is_fake(ABC_SRI)


def test_notation_of_fake_placeholder_is_kept() -> None:
    assert nixhash.notation(FAKE_SRI) is HashFormat.SRI
    assert nixhash.notation(FAKE_SHA256) is HashFormat.BASE32
    assert nixhash.notation(f"sha256-{ABC_B32}") is None


def test_malformed_raises_unsafe_value_naming_the_literal() -> None:
    with pytest.raises(UnsafeValueError, match="sha256-1b8m03"):
        nixhash.convert(f"sha256-{ABC_B32}", HashFormat.SRI)


def test_convert_refuses_verdict_targets() -> None:
    with pytest.raises(ValueError):
        nixhash.convert(ABC_SRI, HashFormat.FAKE)


algos = st.sampled_from(list(HashAlgo))


@st.composite
def hashes(draw: st.DrawFn) -> NixHash:
    algo = draw(algos)
    digest = draw(st.binary(min_size=algo.digest_size, max_size=algo.digest_size))
    return NixHash(algo, digest)


@given(hashes(), st.sampled_from(sorted(nixhash.NOTATIONS)))
def test_round_trip_every_notation(h: NixHash, fmt: HashFormat) -> None:
    literal = h.format(fmt)
    assert nixhash.parse(literal, h.algo) == h
    expected = HashFormat.FAKE if h.is_fake else fmt
    assert nixhash.classify(literal, h.algo) is expected


@given(st.binary(min_size=32, max_size=32))
def test_base32_is_little_endian_bits_msd_first(digest: bytes) -> None:
    # Nix's definition, transcribed from libutil/hash.cc, independent of our integer trick.
    out = []
    for n in range(51, -1, -1):
        b = n * 5
        i, j = b // 8, b % 8
        c = (digest[i] >> j) | ((digest[i + 1] << (8 - j)) if i + 1 < 32 else 0)
        out.append(nixhash.NIX_BASE32_ALPHABET[c & 0x1F])
    assert nixhash.encode_base32(digest) == "".join(out)


@given(st.text(max_size=130))
@settings(max_examples=300)
def test_parse_never_crashes_unexpectedly(text: str) -> None:
    verdict = nixhash.classify(text)
    if verdict is HashFormat.MALFORMED:
        with pytest.raises(UnsafeValueError):
            nixhash.parse(text)
    else:
        nixhash.parse(text)


def _nix_hash(algo: str, flag: str, literals: list[str]) -> list[str]:
    exe = shutil.which("nix-hash")
    assert exe is not None
    out = subprocess.run(
        [exe, "--type", algo, flag, *literals],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stdout.split()


@pytest.mark.nix
@pytest.mark.parametrize("algo", list(HashAlgo))
def test_cross_check_with_nix_hash(algo: HashAlgo) -> None:
    import random

    rng = random.Random(algo.value)
    digests = [bytes(algo.digest_size), bytes([255] * algo.digest_size)]
    digests += [rng.randbytes(algo.digest_size) for _ in range(200)]
    ours = [NixHash(algo, d) for d in digests]
    # Nix reads our SRI and prints base32 / base16: both must equal ours.
    assert _nix_hash(algo, "--to-base32", [h.sri for h in ours]) == [h.base32 for h in ours]
    assert _nix_hash(algo, "--to-base16", [h.base32 for h in ours]) == [h.base16 for h in ours]
    assert _nix_hash(algo, "--to-base32", [h.prefixed for h in ours]) == [h.base32 for h in ours]


def test_placeholders_are_fake_and_distinct_per_nonce() -> None:
    a = nixhash.placeholder(HashAlgo.SHA256, 1)
    b = nixhash.placeholder(HashAlgo.SHA256, 2**64 - 1)
    assert a.is_fake and b.is_fake and a.sri != b.sri
    assert nixhash.is_fake(a.sri) and nixhash.is_fake(b.base32)
    assert nixhash.placeholder(HashAlgo.SHA512, 7).is_fake
    assert nixhash.placeholder(HashAlgo.SHA256, 0).sri == FAKE_SRI
    # A digest whose leading bytes are not all zero is a real hash.
    assert not nixhash.is_fake(ABC_SRI)
