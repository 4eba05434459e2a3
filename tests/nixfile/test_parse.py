"""tree-sitter's damaged regions versus what Nix itself accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from updater.nix.inspect import check_parse
from updater.nixfile.parse import parse_source, parse_warnings


@pytest.mark.nix
def test_nix_decides_what_is_really_invalid(tmp_path: Path) -> None:
    comma = tmp_path / "comma.nix"
    comma.write_text("{ a, b, }:\na + b\n")
    broken = tmp_path / "broken.nix"
    broken.write_text("{ a }:\n{ x = ; }\n")
    # tree-sitter-nix 0.1.0 rejects both; Nix accepts the trailing comma only
    assert parse_warnings(parse_source("comma.nix", comma.read_bytes()))
    assert parse_warnings(parse_source("broken.nix", broken.read_bytes()))
    assert check_parse(comma) is True
    assert check_parse(broken) is False


def test_warnings_name_the_line_of_the_damage() -> None:
    parsed = parse_source("p.nix", b'{ a }:\n{\n  x = "1";\n  y = ) ;\n}\n')
    assert [(w.file, w.line) for w in parse_warnings(parsed)] == [("p.nix", 4)]
