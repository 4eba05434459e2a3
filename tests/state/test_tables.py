"""Every table is declared in state/tables.py, and the declarations are what the migrations build."""

from __future__ import annotations

import ast
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import updater
from updater.state.store import StateStore
from updater.state.tables import Base

PRODUCT = Path(updater.__file__).parent


def test_the_migrated_schema_is_the_declared_one(tmp_path: Path) -> None:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = compare_metadata(context, Base.metadata)
            tables = set(connection.dialect.get_table_names(connection))
    assert differences == []
    assert set(Base.metadata.tables) == tables - {"alembic_version"}


def _declares_a_table(path: Path) -> bool:
    """Whether the module builds a SQLAlchemy Table or MetaData, or maps a class to a table."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    builders = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
        if alias.name in ("Table", "MetaData")
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in builders:
            return True
        if isinstance(node, ast.Name) and node.id == "__tablename__":
            return True
    return False


def test_no_module_outside_state_tables_declares_a_table() -> None:
    declaring = sorted(
        p.relative_to(PRODUCT).as_posix()
        for p in PRODUCT.rglob("*.py")
        if "migrations" not in p.parts and _declares_a_table(p)
    )
    assert declaring == ["state/tables.py"]
