"""Alembic revisions, oldest first (see env.py for how they are run)."""
