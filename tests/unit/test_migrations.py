"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from handoff.core import Core
from models import Base
from models.database import alembic_config, include_object


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_the_migrated_schema_matches_the_models(core: Core) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        return list(compare_metadata(context, Base.metadata))

    async with core.db.write_engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_migrating_twice_changes_nothing(core: Core) -> None:
    await core.db.migrate()
    async with core.db.read() as session:
        version = await session.scalar(text("select version_num from alembic_version"))
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head() == "0013"
