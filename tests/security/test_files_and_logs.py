"""The host keeps the database to its user, and no log line carries a URL's query string or user info."""

import logging
import os
import stat

import httpx
import pytest

from app.config import Settings
from app.db import DatabaseFilesExposed, check_database_files, keep_files_private
from app.logging import JsonFormatter


def _httpx_line(url: str) -> str:
    """The line httpx's own INFO logger writes for a request, through the app's formatter."""
    record = logging.LogRecord(
        "httpx", logging.INFO, "x.py", 1, 'HTTP Request: %s %s "%s %d %s"',
        ("POST", httpx.URL(url), "HTTP/1.1", 200, "OK"), None,
    )  # fmt: skip
    return JsonFormatter().format(record)


def test_a_urls_query_string_and_user_info_are_never_logged():
    line = _httpx_line("https://mitra:sandi-uji@partner.example/hook?api_key=kunci-uji-1&x=2#f")
    assert "kunci-uji-1" not in line and "api_key" not in line and "sandi-uji" not in line
    assert "https://partner.example/hook" in line


def test_extra_fields_are_redacted_too():
    record = logging.LogRecord("app.webhooks", logging.WARNING, "x.py", 1, "webhook attempt", None, None)
    record.error = "ConnectError: https://partner.example/hook?token=rahasia-uji"
    assert "rahasia-uji" not in JsonFormatter().format(record)


def test_database_files_are_created_0600(tmp_path):
    previous = os.umask(0o022)
    try:
        keep_files_private()
        path = tmp_path / "baru.db"
        path.write_bytes(b"")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(previous)


def _settings(path, environment: str) -> Settings:
    # mfa_required: production's own requirement, met so that the file checks are what is tested.
    return Settings(database_url=f"sqlite+aiosqlite:///{path}", environment=environment, mfa_required=True)


def test_readable_database_files_are_refused_in_production_and_warned_of_elsewhere(tmp_path, caplog):
    database = tmp_path / "reintegrasi.db"
    database.write_bytes(b"")
    (tmp_path / "reintegrasi.db-wal").write_bytes(b"")
    os.chmod(database, 0o600)
    os.chmod(tmp_path / "reintegrasi.db-wal", 0o644)
    with pytest.warns(UserWarning, match="SQLite in production"):
        production = _settings(database, "production")
    with pytest.raises(DatabaseFilesExposed, match=r"reintegrasi\.db-wal \(mode 0644\)"):
        check_database_files(production)
    with caplog.at_level(logging.WARNING, logger="app.db"):
        check_database_files(_settings(database, "test"))
    assert "chmod 600" in caplog.text
    os.chmod(tmp_path / "reintegrasi.db-wal", 0o600)
    check_database_files(production)  # private: served
