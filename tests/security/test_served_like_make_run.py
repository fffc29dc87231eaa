"""The server as `make run` starts it (the Makefile's own recipe, on a fresh SQLite file), seen from outside.

One full run: sign in, register a person with a name and NIK, search by both, read the record,
subscribe a webhook whose URL carries the receiver's key in its query string and have the worker
deliver to it, sign in as an API client, send a forged X-Forwarded-For with a made-up token and a
wrong password. Then:
- the database files are 0600 while the server runs, though the run started with umask 022;
- the forged address is stored nowhere (uvicorn's proxy headers are off; the app believes
  forwarded headers from configured proxies only, and none is configured here);
- no captured line (migrations, bootstrap, server, worker, HTTP client) holds a URL with a query
  string, a token, password or secret, a key of the settings, the NIK or the name.
"""

import contextlib
import os
import re
import signal
import socket
import sqlite3
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import ROOT
from tests.persons.helpers import person_body
from tests.persons.support import synthetic_nik

ADMIN_PASSWORD = "Sandi-Admin-Uji-4b7e1d9a"  # synthetic
WRONG_PASSWORD = "Sandi-Salah-Uji-8c2f0e6b"  # synthetic
MADE_UP_TOKEN = "token-karangan-uji-5d3a9f1e7c"
RECEIVER_KEY = "kunci-penerima-uji-2e8b6c4a0f"
NAME = "Warga Uji Rahasia Jalan"
NIK = synthetic_nik(9517)
FORGED = "198.51.100.77"
URL_WITH_QUERY = re.compile(r"://[^\s\"']*\?")

pytestmark = pytest.mark.skipif(not (ROOT / "Makefile").exists(), reason="needs the Makefile")


@pytest.fixture
def receiver() -> Iterator[HTTPServer]:
    """The partner system the webhook goes to."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(database: Path, port: int, log: Path) -> subprocess.Popen:
    """`make run` itself (its install and .env steps skipped: the test's environment has both)."""
    env = {
        **os.environ,
        "REINTEGRASI_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "REINTEGRASI_ENVIRONMENT": "development",
        "REINTEGRASI_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "REINTEGRASI_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "REINTEGRASI_WEBHOOK_POLL_SECONDS": "0.2",
        "REINTEGRASI_LOG_LEVEL": "DEBUG",  # every line any library writes
    }
    command = ["make", "-s", "-o", "install", "-o", ".env", "run", f"PORT={port}"]
    with log.open("wb") as out:
        return subprocess.Popen(  # a fixed command line
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # What a newcomer's shell has: files readable by everyone unless the app says otherwise.
            preexec_fn=lambda: os.umask(0o022),  # no threads are started before exec
        )


def _wait_ready(http: httpx.Client, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited: {log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.TransportError):
            if http.get("/health/live").status_code == 200:
                return
        time.sleep(0.3)
    pytest.fail(f"the server did not start: {log.read_text()[-3000:]}")


def _scenario(http: httpx.Client, receiver: HTTPServer) -> list[str]:
    """A full run of the API; returns the secrets it saw (tokens, client and webhook secrets)."""
    signed_in = http.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["access_token"]
    admin = {"Authorization": f"Bearer {token}"}
    site_body = {"name": "Karang Dempel (uji)", "code": "KD", "region_code": "53.71", "status": "closing"}
    site = http.post("/api/v1/sites", json=site_body, headers=admin)
    assert site.status_code == 201, site.text
    created = http.post(
        "/api/v1/persons", json=person_body(site.json()["id"], full_name=NAME, nik=NIK), headers=admin
    )
    assert created.status_code == 201, created.text
    person_id = created.json()["id"]
    assert http.get("/api/v1/persons", params={"q": NAME}, headers=admin).status_code == 200
    assert http.post("/api/v1/persons/search", json={"nik": NIK}, headers=admin).status_code == 200
    assert http.get(f"/api/v1/persons/{person_id}", headers=admin).status_code == 200

    receiver.expect_request("/hook").respond_with_data("", status=204)
    hook_url = f"http://127.0.0.1:{receiver.port}/hook?api_key={RECEIVER_KEY}"
    hook = http.post(
        "/api/v1/webhooks", json={"url": hook_url, "event_types": ["person.status_changed"]}, headers=admin
    )
    assert hook.status_code == 201, hook.text
    changed = http.post(
        f"/api/v1/persons/{person_id}/status-changes",
        json={"to_status": "verified", "reason": "uji"},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    deadline = time.monotonic() + 30
    while not receiver.log and time.monotonic() < deadline:
        time.sleep(0.2)
    assert receiver.log, "the worker delivered nothing"
    assert receiver.log[0][0].args.get("api_key") == RECEIVER_KEY

    api_client = http.post(
        "/api/v1/api-clients", json={"name": "Sistem Uji Log", "role": "viewer"}, headers=admin
    )
    assert api_client.status_code == 201, api_client.text
    credentials = api_client.json()
    client_token = http.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
        },
    )
    assert client_token.status_code == 200, client_token.text
    forged = {"X-Forwarded-For": FORGED, "Authorization": f"Bearer {MADE_UP_TOKEN}"}
    assert http.get("/api/v1/agencies", headers=forged).status_code == 401
    wrong = {"grant_type": "password", "username": "admin", "password": WRONG_PASSWORD}
    assert http.post("/api/v1/auth/token", data=wrong).status_code == 401
    return [
        token,
        hook.json()["secret"],
        credentials["client_secret"],
        client_token.json()["access_token"],
    ]


def _stored_addresses(database: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(database)) as db:
        found = {row[0] for row in db.execute("SELECT client_ip FROM audit_events")}
        with contextlib.suppress(sqlite3.OperationalError):  # a schema without the counts table
            found |= {row[0] for row in db.execute("SELECT client_ip FROM audit_denial_counts")}
    return found


def test_a_full_run_keeps_its_files_private_its_addresses_true_and_its_logs_clean(tmp_path, receiver):
    database, port, log = tmp_path / "reintegrasi.db", _free_port(), tmp_path / "server.log"
    server = _serve(database, port, log)
    findings: list[str] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=15) as http:
            _wait_ready(http, server, log)
            secrets = _scenario(http, receiver)
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else None
            if mode != 0o600:
                findings.append(f"{path.name}: mode {mode and oct(mode)}, not 0o600")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    if FORGED in _stored_addresses(database):
        findings.append(f"the forged X-Forwarded-For {FORGED} was stored as a client address")
    keys = [os.environ[name] for name in os.environ if name.endswith(("_KEY", "SECRET_KEY"))]
    forbidden = [ADMIN_PASSWORD, WRONG_PASSWORD, MADE_UP_TOKEN, RECEIVER_KEY, "api_key", NAME, NIK]
    lines = log.read_text().splitlines()
    assert any('"logger":"app.access"' in line for line in lines), lines[-20:]
    for number, line in enumerate(lines, 1):
        for secret in forbidden + secrets + keys:
            if secret in line:
                findings.append(f"line {number} holds {secret[:12]}...: {line[:300]}")
        if URL_WITH_QUERY.search(line):
            findings.append(f"line {number} holds a URL with a query string: {line[:300]}")
    assert findings == [], "\n".join(findings)
