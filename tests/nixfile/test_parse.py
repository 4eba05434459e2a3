"""tree-sitter's damaged regions versus what Nix itself accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from updater.nix.inspect import check_parse
from updater.nixfile.parse import parse_source, parse_warnings, syntax_error


@pytest.mark.nix
def test_the_grammar_and_nix_agree_on_what_is_invalid(tmp_path: Path) -> None:
    comma = tmp_path / "comma.nix"
    comma.write_text("{ a, b, }:\na + b\n")
    broken = tmp_path / "broken.nix"
    broken.write_text("{ a }:\n{ x = ; }\n")
    # tree-sitter-nix 0.1.0 rejected both; the grammar we use and Nix accept the comma only
    assert syntax_error(parse_source("comma.nix", comma.read_bytes())) is None
    assert syntax_error(parse_source("broken.nix", broken.read_bytes())) is not None
    assert check_parse(comma) is True
    assert check_parse(broken) is False


def test_a_syntax_error_names_line_and_column() -> None:
    parsed = parse_source("p.nix", b'{ a }:\n{\n  x = "1";\n  y = ) ;\n}\n')
    error = syntax_error(parsed)
    assert error is not None and (error.file, error.line, error.column) == ("p.nix", 4, 7)
    assert str(error).startswith("p.nix:4:7: syntax error")
    assert parse_warnings(parsed) == ()
