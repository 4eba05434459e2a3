"""Nix hash literals: parse, classify, format and convert, in pure Python.

Nix writes one digest several ways: SRI (`sha256-<base64>`), its own base32 (a custom alphabet
and a little-endian digit order, nothing like RFC 4648), base16, bare base64, and any of the bare
forms prefixed with `<algo>:`. A package file keeps whichever notation it was written in, so the
bot must read every notation and write the new hash back in the old one (or SRI on request).

Placeholders (`lib.fakeHash`, `lib.fakeSha256`, any all-zero digest) are classified as FAKE;
anything Nix itself would refuse, or that looks like a notation mix-up (`sha256-` followed by
base32 or hex), is MALFORMED and is reported, never rewritten silently.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from enum import StrEnum

from updater.errors import UnsafeValueError

NIX_BASE32_ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz"
_BASE32_INDEX = {c: i for i, c in enumerate(NIX_BASE32_ALPHABET)}


class HashAlgo(StrEnum):
    """Hash algorithms Nix accepts in fixed-output derivations."""

    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    SHA512 = "sha512"

    @property
    def digest_size(self) -> int:
        return _DIGEST_SIZES[self]


_DIGEST_SIZES = {HashAlgo.MD5: 16, HashAlgo.SHA1: 20, HashAlgo.SHA256: 32, HashAlgo.SHA512: 64}


class HashFormat(StrEnum):
    """How a hash literal is written. FAKE and MALFORMED are verdicts, not notations."""

    SRI = "sri"  # sha256-<base64>
    BASE32 = "base32"  # bare Nix base32
    BASE16 = "base16"  # bare hex
    BASE64 = "base64"  # bare base64 (Nix accepts it; rare in files)
    PREFIXED = "prefixed"  # sha256:<base32|base16|base64>
    FAKE = "fake"  # lib.fakeHash, lib.fakeSha256, any all-zero digest
    MALFORMED = "malformed"


NOTATIONS = frozenset(
    {HashFormat.SRI, HashFormat.BASE32, HashFormat.BASE16, HashFormat.BASE64, HashFormat.PREFIXED}
)


def base32_len(size: int) -> int:
    """Length of Nix base32 for a digest of `size` bytes."""
    return (size * 8 - 1) // 5 + 1


def base64_len(size: int) -> int:
    return ((size + 2) // 3) * 4


def encode_base32(digest: bytes) -> str:
    """Nix base32: the digest read as a little-endian integer, most significant digit first."""
    value = int.from_bytes(digest, "little")
    length = base32_len(len(digest))
    return "".join(NIX_BASE32_ALPHABET[(value >> (5 * n)) & 31] for n in range(length - 1, -1, -1))


def decode_base32(text: str, size: int) -> bytes:
    """Inverse of `encode_base32`; raises ValueError on a bad character, length or overflow."""
    if len(text) != base32_len(size):
        raise ValueError(
            f"base32 of {size} bytes has {base32_len(size)} characters, not {len(text)}"
        )
    value = 0
    for char in text:
        digit = _BASE32_INDEX.get(char)
        if digit is None:
            raise ValueError(f"{char!r} is not a Nix base32 character")
        value = (value << 5) | digit
    # The top digit carries bits beyond the digest; Nix refuses them when they are set.
    if value >> (size * 8):
        raise ValueError("base32 value overflows the digest")
    return value.to_bytes(size, "little")


@dataclass(frozen=True)
class NixHash:
    """A digest and its algorithm; render it in any notation."""

    algo: HashAlgo
    digest: bytes

    def __post_init__(self) -> None:
        if len(self.digest) != self.algo.digest_size:
            raise ValueError(f"{self.algo} digest must be {self.algo.digest_size} bytes")

    @property
    def sri(self) -> str:
        return f"{self.algo}-{base64.b64encode(self.digest).decode()}"

    @property
    def base32(self) -> str:
        return encode_base32(self.digest)

    @property
    def base16(self) -> str:
        return self.digest.hex()

    @property
    def base64(self) -> str:
        return base64.b64encode(self.digest).decode()

    @property
    def prefixed(self) -> str:
        # Nix prints `algo:` hashes in base32.
        return f"{self.algo}:{self.base32}"

    @property
    def is_fake(self) -> bool:
        return not any(self.digest[:-PLACEHOLDER_NONCE])

    def format(self, fmt: HashFormat) -> str:
        """Render in notation `fmt` (SRI, BASE32, BASE16, BASE64 or PREFIXED)."""
        match fmt:
            case HashFormat.SRI:
                return self.sri
            case HashFormat.BASE32:
                return self.base32
            case HashFormat.BASE16:
                return self.base16
            case HashFormat.BASE64:
                return self.base64
            case HashFormat.PREFIXED:
                return self.prefixed
        raise ValueError(f"{fmt} is not a notation a hash can be written in")


# A placeholder is zero but for its last bytes. Nix's own fake hashes (all zero) are
# placeholders; the bot writes a random nonce into those last bytes, so that each hash-fixing
# build has an output path of its own: every real-world source fetcher is named `source`, and
# with one shared fake hash all of them would have one output path, whose lock serialises
# builds of different units (nix/buildlocks.py). No real digest starts with 24 zero bytes.
PLACEHOLDER_NONCE = 8


def _fake(algo: HashAlgo) -> NixHash:
    return NixHash(algo, bytes(algo.digest_size))


def placeholder(algo: HashAlgo, nonce: int) -> NixHash:
    """A fake hash of `algo` carrying `nonce` (0 <= nonce < 2**64): distinct nonces, distinct
    output paths."""
    zeros = bytes(algo.digest_size - PLACEHOLDER_NONCE)
    return NixHash(algo, zeros + nonce.to_bytes(PLACEHOLDER_NONCE, "big"))


FAKE_HASH = _fake(HashAlgo.SHA256)
# lib.fakeHash / lib.fakeSha256 / lib.fakeSha512, exactly as nixpkgs spells them.
FAKE_SRI = FAKE_HASH.sri
FAKE_SHA256 = FAKE_HASH.base32
FAKE_SHA512 = _fake(HashAlgo.SHA512).base32

_SRI_RE = re.compile(r"(md5|sha1|sha256|sha512)-([A-Za-z0-9+/=]*)")
_PREFIXED_RE = re.compile(r"(md5|sha1|sha256|sha512):(.*)", re.DOTALL)
_HEX_RE = re.compile(r"[0-9a-fA-F]*")
_B64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def _decode_b64(text: str, size: int) -> bytes:
    if len(text) != base64_len(size) or not _B64_RE.fullmatch(text):
        raise ValueError(f"base64 of {size} bytes has {base64_len(size)} characters")
    try:
        digest = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"bad base64: {exc}") from exc
    if len(digest) != size:
        raise ValueError(f"base64 decodes to {len(digest)} bytes, not {size}")
    return digest


def _decode_bare(text: str, algo: HashAlgo) -> tuple[HashFormat, bytes]:
    """Decode a bare digest the way Nix does: by its length."""
    size = algo.digest_size
    if len(text) == size * 2 and _HEX_RE.fullmatch(text):
        return HashFormat.BASE16, bytes.fromhex(text)
    if len(text) == base32_len(size):
        return HashFormat.BASE32, decode_base32(text, size)
    if len(text) == base64_len(size):
        return HashFormat.BASE64, _decode_b64(text, size)
    raise ValueError(f"{len(text)} characters is no {algo} length")


@dataclass(frozen=True)
class ParsedHash:
    """A literal's notation and value; `format` is never FAKE or MALFORMED."""

    hash: NixHash
    format: HashFormat


def _parse(literal: str, default_algo: HashAlgo) -> ParsedHash:
    if m := _SRI_RE.fullmatch(literal):
        algo = HashAlgo(m.group(1))
        return ParsedHash(NixHash(algo, _decode_b64(m.group(2), algo.digest_size)), HashFormat.SRI)
    if m := _PREFIXED_RE.fullmatch(literal):
        algo = HashAlgo(m.group(1))
        _, digest = _decode_bare(m.group(2), algo)
        return ParsedHash(NixHash(algo, digest), HashFormat.PREFIXED)
    fmt, digest = _decode_bare(literal, default_algo)
    return ParsedHash(NixHash(default_algo, digest), fmt)


def parse_literal(literal: str, default_algo: HashAlgo = HashAlgo.SHA256) -> ParsedHash:
    """Parse a hash literal; bare digests are read as `default_algo` (the attribute's algorithm).

    Raises UnsafeValueError when Nix would refuse the literal or it mixes notations.
    """
    try:
        return _parse(literal, default_algo)
    except ValueError as exc:
        raise UnsafeValueError(f"malformed Nix hash {literal[:120]!r}: {exc}") from None


def parse(literal: str, default_algo: HashAlgo = HashAlgo.SHA256) -> NixHash:
    """The digest of a literal in any notation (fake placeholders included)."""
    return parse_literal(literal, default_algo).hash


def notation(literal: str, default_algo: HashAlgo = HashAlgo.SHA256) -> HashFormat | None:
    """The notation a literal is written in, fake or not; None when malformed.

    Use it to write a new hash where a placeholder was, in the placeholder's notation.
    """
    try:
        return _parse(literal, default_algo).format
    except ValueError:
        return None


def classify(literal: str, default_algo: HashAlgo = HashAlgo.SHA256) -> HashFormat:
    """One verdict per literal: FAKE or MALFORMED first, else its notation."""
    try:
        parsed = _parse(literal, default_algo)
    except ValueError:
        return HashFormat.MALFORMED
    return HashFormat.FAKE if parsed.hash.is_fake else parsed.format


def is_fake(literal: str, default_algo: HashAlgo = HashAlgo.SHA256) -> bool:
    return classify(literal, default_algo) is HashFormat.FAKE


def convert(literal: str, to_format: HashFormat, default_algo: HashAlgo = HashAlgo.SHA256) -> str:
    """Rewrite a literal in notation `to_format`; raises UnsafeValueError when malformed."""
    if to_format not in NOTATIONS:
        raise ValueError(f"cannot convert a hash to {to_format}")
    return parse(literal, default_algo).format(to_format)


def to_sri(literal: str, default_algo: HashAlgo = HashAlgo.SHA256) -> str:
    return convert(literal, HashFormat.SRI, default_algo)
