"""Alembic migration scripts for the desk database (run through storage.migrate)."""
