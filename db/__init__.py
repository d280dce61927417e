"""Persistence: SQLAlchemy models, engine/session wiring, repositories, Alembic migrations."""
