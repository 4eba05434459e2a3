"""Validation of values before they are written into a .nix file, by kind of pin.

Upstream strings (tags, versions, URLs) are hostile: a tag named `v1"; system = "x` or
`${builtins.exec ...}` would change the meaning of the file. Every value is checked against a
small safe character set for its kind; nothing that could end a string, start an interpolation
or add a line ever reaches the editor's output.
"""

from __future__ import annotations

import re

from updater import nixhash
from updater.errors import UnsafeValueError
from updater.nixfile.model import HashAlgo, PinKind

_FORBIDDEN = re.compile(r'["\\\x00-\x1f\x7f]|\$\{|\'\'')
_HEX_REV = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# git ref names, restricted to what real tags use; no `..`, no leading `-` or `/`
_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+/@-]{0,199}")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+~:@-]{0,127}")
_URL = re.compile(
    r"https?://[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?"
    r"(?:/[A-Za-z0-9._~%!&()*+,;=:@/-]*)?(?:\?[A-Za-z0-9._~%!&()*+,;=:@/?-]*)?"
)


def _show(value: str) -> str:
    return repr(value[:80] + ("..." if len(value) > 80 else ""))


def validate_value(kind: PinKind, value: str, where: str, algo: HashAlgo | None = None) -> str:
    """`value` if it is safe and well-formed for `kind`; else UnsafeValueError naming `where`."""
    if _FORBIDDEN.search(value):
        raise UnsafeValueError(
            f"{where}: refusing {kind} value {_show(value)}: quotes, backslashes, '${{', "
            "newlines and control characters are never written"
        )
    if kind is PinKind.REV:
        if not (_HEX_REV.fullmatch(value) or _safe_ref(value)):
            raise UnsafeValueError(
                f"{where}: refusing rev {_show(value)}: not a commit hash or a safe tag name"
            )
    elif kind is PinKind.TAG:
        if not _safe_ref(value):
            raise UnsafeValueError(f"{where}: refusing tag {_show(value)}: not a safe tag name")
    elif kind is PinKind.VERSION:
        if not _VERSION.fullmatch(value) or ".." in value:
            raise UnsafeValueError(
                f"{where}: refusing version {_show(value)}: allowed are letters, digits and ._+~:@-"
            )
    elif kind is PinKind.URL:
        if not _URL.fullmatch(value) or len(value) > 2000:
            raise UnsafeValueError(f"{where}: refusing url {_show(value)}: not a plain http(s) URL")
    elif kind.is_hash:
        _validate_hash(kind, value, where, algo)
    else:
        raise UnsafeValueError(f"{where}: {kind} pins are not edited as text")
    return value


def _safe_ref(value: str) -> bool:
    return (
        bool(_TAG.fullmatch(value))
        and ".." not in value
        and "//" not in value
        and not value.endswith((".", "/", ".lock"))
        and "@{" not in value
    )


def _validate_hash(kind: PinKind, value: str, where: str, algo: HashAlgo | None) -> None:
    try:
        parsed = nixhash.parse_literal(value, algo or HashAlgo.SHA256)
    except UnsafeValueError as exc:
        raise UnsafeValueError(f"{where}: refusing {kind} {_show(value)}: {exc}") from None
    if algo is not None and parsed.hash.algo is not algo:
        raise UnsafeValueError(
            f"{where}: refusing {kind} {_show(value)}: a {parsed.hash.algo} hash where {algo} "
            "is expected"
        )
