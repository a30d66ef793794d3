from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import create_key
from inbox.models import Role


@dataclass
class Api:
    client: TestClient
    engine: object
    keys: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """The app over a real database (SQLite and PostgreSQL), with one key per role."""
    settings = Settings(data_dir=tmp_path, database_url=database_url, max_body_bytes=4096)
    engine = make_engine(database_url)
    upgrade(engine)
    keys = {}
    with session_scope(engine) as session:
        for role in Role:
            keys[role.value], _ = create_key(session, role, f"test {role.value}")
    with TestClient(create_app(settings, engine)) as client:
        yield Api(client, engine, keys)
    engine.dispose()
