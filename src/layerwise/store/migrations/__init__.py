"""Alembic migrations for the library database, applied by `Store` on open."""
