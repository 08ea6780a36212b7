"""Persistence for the desk: async SQLAlchemy models, unit of work, repositories, queries and migrations."""
