"""The bot's memory between runs: SQLAlchemy over SQLite (default) or PostgreSQL, Alembic-migrated."""
