"""Migrations are reversible and match the models, on both databases."""

import uuid

import psycopg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from tests.conftest import ROOT
from tests.postgres import postgres_server_url


def _config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logging"] = False
    return config


def _round_trip(url: str) -> None:
    config = _config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    command.check(config)  # raises when the models and the migrated schema differ


def test_sqlite_round_trip_and_models_match(tmp_path):
    _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


def test_postgresql_round_trip_and_models_match():
    with postgres_server_url() as server:
        name = f"reintegrasi_mig_{uuid.uuid4().hex[:8]}"
        admin = server.replace("postgresql+asyncpg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            _round_trip(server.rsplit("/", 1)[0] + f"/{name}")
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_one_head_no_branches():
    assert len(ScriptDirectory.from_config(_config("sqlite://")).get_heads()) == 1
