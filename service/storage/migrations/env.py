"""Alembic environment, driven programmatically by ``service.storage.db.migrate``.

There is no alembic.ini: the caller hands over an open connection in
``config.attributes["connection"]`` so that migrations run inside the same
locking the application uses.
"""
from __future__ import annotations

from alembic import context

from service.storage.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable when someone runs the alembic CLI
    raise RuntimeError("run migrations through service.storage.db.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things in place
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
