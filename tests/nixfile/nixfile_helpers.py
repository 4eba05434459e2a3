"""Helpers for the .nix scanner and editor tests: distinct well-formed hashes."""

from __future__ import annotations

from updater.nixhash import HashAlgo, NixHash


def digest(n: int, algo: HashAlgo = HashAlgo.SHA256) -> NixHash:
    """A distinct, well-formed (not all-zero) hash per n."""
    return NixHash(algo, bytes([(n * 7 + i) % 251 + 1 for i in range(algo.digest_size)]))


def sri(n: int) -> str:
    return digest(n).sri


def b32(n: int) -> str:
    return digest(n).base32


def b16(n: int) -> str:
    return digest(n).base16
