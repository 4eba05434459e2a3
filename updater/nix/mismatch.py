"""Reading Nix's hash-mismatch errors, in every wording Nix and Lix have used.

The forms, oldest first (colour codes are stripped before matching):

Nix 2.0-2.2 names the expected output path; the first hash is the one it got:
    output path '/nix/store/...-x' has sha256 hash '<base32>' when '<base32>' was expected
Nix 2.3 names the output path *computed from the got hash* (only its name part is useful):
    hash mismatch in fixed-output derivation '/nix/store/...-x':
      wanted: sha256:<base32>
      got:    sha256:<base32>
Nix 2.4 and later (2.8 here, 2.2x with `error:` and colours) names the .drv:
    error: hash mismatch in fixed-output derivation '/nix/store/...-x.drv':
             specified: sha256-...
                got:    sha256-...
Lix adds a guessed URL and the two output paths:
    error: hash mismatch in fixed-output derivation '/nix/store/...-x.drv':
            likely URL: https://...
             specified: sha256-...
                   got: sha256-...
         expected path: /nix/store/...
              got path: /nix/store/...

A log may hold several (a --keep-going build): all are returned, in log order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from updater.errors import UnsafeValueError
from updater.nixhash import HashAlgo, NixHash, parse

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
_STORE = r"/[^\s'\"]+"

# Nix 2.3+ and Lix: header, then indented key/value lines until a line that is not one.
_HEADER = re.compile(rf"hash mismatch in fixed-output derivation '(?P<path>{_STORE})':")
_FIELD = re.compile(
    r"^\s*(?:>\s*)?(?P<key>likely URL|specified|wanted|got|expected path|got path):\s*(?P<value>\S+)\s*$"
)
# Nix 2.0-2.2.
_OLD = re.compile(
    rf"output path '(?P<path>{_STORE})' has (?P<algo>md5|sha1|sha256|sha512) hash "
    r"'(?P<got>[0-9a-zA-Z+/=:\-]+)' when '(?P<wanted>[0-9a-zA-Z+/=:\-]+)' was expected"
)


@dataclass(frozen=True)
class Mismatch:
    """One fixed-output derivation whose content did not match its declared hash.

    `drv_path` is set when Nix names the derivation (Nix >= 2.4, Lix); older Nix names an
    output path instead (`output_path`). `specified` and `got` are parsed, any notation.
    """

    drv_path: str | None
    output_path: str | None
    specified: NixHash
    got: NixHash
    url: str | None = None

    @property
    def name(self) -> str:
        """The derivation's name (`source`, `foo-1.0-go-modules`), from whichever path we have."""
        path = self.drv_path or self.output_path or ""
        base = path.rsplit("/", 1)[-1]
        base = base.removesuffix(".drv")
        return base.split("-", 1)[1] if "-" in base else base

    def concerns(self, drv_path: str, output_paths: tuple[str, ...] = ()) -> bool:
        """Whether this mismatch is the one of derivation `drv_path` (with those outputs).

        Exact when Nix named the .drv or the expected output; Nix 2.3 names only a path made
        from the got hash, so there the derivation's name is all that can be compared.
        """
        if self.drv_path is not None:
            return self.drv_path == drv_path
        assert self.output_path is not None
        if self.output_path in output_paths:
            return True
        return self.name == drv_path.rsplit("/", 1)[-1].removesuffix(".drv").split("-", 1)[-1]


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _hash(value: str, algo: HashAlgo = HashAlgo.SHA256) -> NixHash | None:
    try:
        return parse(value.strip("'\""), algo)
    except UnsafeValueError:
        return None


def parse_mismatches(log: str) -> list[Mismatch]:
    """Every hash mismatch reported in `log` (Nix's stderr), in order of appearance."""
    lines = strip_ansi(log).splitlines()
    found: list[tuple[int, Mismatch]] = []
    for index, line in enumerate(lines):
        if m := _OLD.search(line):
            algo = HashAlgo(m.group("algo"))
            got, wanted = _hash(m.group("got"), algo), _hash(m.group("wanted"), algo)
            if got and wanted:
                found.append((index, Mismatch(None, m.group("path"), wanted, got)))
            continue
        header = _HEADER.search(line)
        if not header:
            continue
        fields: dict[str, str] = {}
        for follow in lines[index + 1 : index + 8]:
            field = _FIELD.match(follow)
            if not field:
                break
            fields.setdefault(field.group("key"), field.group("value"))
        specified = _hash(fields.get("specified") or fields.get("wanted") or "")
        got = _hash(fields.get("got", ""))
        if specified is None or got is None:
            continue
        path = header.group("path")
        is_drv = path.endswith(".drv")
        url = fields.get("likely URL")
        found.append(
            (
                index,
                Mismatch(
                    drv_path=path if is_drv else None,
                    output_path=None if is_drv else path,
                    specified=specified,
                    got=got,
                    url=None if url in (None, "(unknown)") else url,
                ),
            )
        )
    unique: list[Mismatch] = []
    for _, mismatch in found:
        if mismatch not in unique:  # Nix may repeat an error (once per failed consumer)
            unique.append(mismatch)
    return unique
