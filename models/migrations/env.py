"""Alembic environment: runs on the connection that `Database.migrate` hands over."""

from alembic import context
from sqlalchemy import Connection, create_engine

from models.database import include_object
from models.tables import Base

connection = context.config.attributes.get("connection")


def _run(conn: Connection) -> None:
    context.configure(
        connection=conn, target_metadata=Base.metadata, render_as_batch=True, include_object=include_object
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:  # `alembic revision --autogenerate` from a developer's shell
    url = context.config.get_main_option("sqlalchemy.url") or "sqlite:///./migrations-scratch.db"
    with create_engine(url).connect() as conn:
        _run(conn)
