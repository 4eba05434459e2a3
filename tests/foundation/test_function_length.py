"""No function of the product over 60 lines without a comment saying why.

The marker is a comment line starting `# long:` followed by the reason, right above the
function (or its decorators) or anywhere inside it, e.g.

    # long: one table of every modelled function, kept in one place
    def _models() -> dict[str, Model]:
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import updater

PRODUCT = Path(updater.__file__).parent
LIMIT = 60
MARKER = re.compile(r"^\s*# long: \S")
# Functions being split elsewhere: each entry must still be over the limit (a stale entry fails).
PENDING = {
    ("nixfile/build.py", "_leaf"): "split on the nixfile branch (nur)",
}


def _long_functions() -> list[tuple[str, str, int, bool]]:
    """(file, function, lines, has a reason) of every function over the limit."""
    out = []
    for path in sorted(PRODUCT.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            assert node.end_lineno is not None
            length = node.end_lineno - node.lineno + 1
            if length <= LIMIT:
                continue
            reason = _says_why(lines, node)
            out.append((path.relative_to(PRODUCT).as_posix(), node.name, length, reason))
    return out


def _says_why(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A `# long:` line right above the function (or its decorators), or inside it."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    # line numbers are 1-based: the line above the function is lines[first - 2]
    span = lines[max(first - 2, 0) : node.end_lineno]
    return any(MARKER.match(line) for line in span)


def test_every_function_over_60_lines_says_why() -> None:
    unexplained = [
        f"updater/{file}:{name} ({length} lines)"
        for file, name, length, reason in _long_functions()
        if not reason and (file, name) not in PENDING
    ]
    assert unexplained == [], "add a `# long: <reason>` comment, or split them"


def test_pending_exemptions_are_still_needed() -> None:
    still_long = {(file, name) for file, name, _length, reason in _long_functions() if not reason}
    assert set(PENDING) <= still_long, "remove the entries that are no longer over the limit"


def test_the_marker_is_found_above_and_inside_a_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    above = f"x = 1\n# long: a table\n@decorator\ndef f() -> None:\n{body}\n"
    inside = f"def g() -> None:\n    # long: a table\n{body}\n"
    unsaid = f"# long:\ndef h() -> None:\n{body}\n    # longer than it should be\n"
    far = f"# long: about something else\n\ndef k() -> None:\n{body}\n"
    for text, expected in ((above, True), (inside, True), (unsaid, False), (far, False)):
        tree = ast.parse(text)
        node = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
        assert _says_why(text.splitlines(), node) is expected, text[:40]
