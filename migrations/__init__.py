"""Alembic migrations: the only way the archive's schema is created or changed."""
