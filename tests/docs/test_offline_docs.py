"""/docs and /redoc render with no internet: the real server, headless Chromium, loopback only."""

import html
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.openapi.docs import get_swagger_ui_html

from tests.conftest import ROOT, migrate

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)",
)
HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}
EXTERNAL_URL = re.compile(r"https?://[^\s\"'<>]+")
OPBLOCK = re.compile(r'class="opblock opblock-(?:get|put|post|patch|delete|head|options)\b')
REDOC_OPERATION = re.compile(r'id="(?:tag/[^/"]+/)?operation/([^"/]+)"')
CSP_VIOLATION = re.compile(r"violates the following Content Security Policy directive: \"([a-z-]+)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_live(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base_url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, over a migrated SQLite database."""
    tmp = tmp_path_factory.mktemp("offline-docs")
    database_url = f"sqlite+aiosqlite:///{tmp / 'docs.db'}"
    migrate(database_url)
    port = _free_port()
    log = tmp / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
            + ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            cwd=ROOT,
            env={**os.environ, "REINTEGRASI_DATABASE_URL": database_url},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_live(base_url, process, log)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def spec(server: str) -> dict:
    return httpx.get(f"{server}/openapi.json", timeout=10).json()


def _operations(spec: dict) -> list[dict]:
    return [op for item in spec["paths"].values() for method, op in item.items() if method in HTTP_METHODS]


def render(url: str, profile: Path) -> tuple[str, str]:
    """The DOM once the page's scripts ran, and the browser's log (console messages included)."""
    assert CHROMIUM is not None
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            # The network is closed: no name resolves and every proxied connection is refused;
            # only 127.0.0.1, where the app listens, is reached directly.
            "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=127.0.0.1",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=20000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return result.stdout, result.stderr


def console(browser_log: str) -> str:
    """The page's console messages and load errors, without the browser's own noise (D-Bus...)."""
    return "\n".join(line for line in browser_log.splitlines() if "CONSOLE" in line or "failed" in line)


# --- Without a browser -------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_pages_reference_nothing_outside_the_app(server, page):
    response = httpx.get(f"{server}{page}", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert EXTERNAL_URL.findall(response.text) == []
    references = re.findall(r'(?:src|href|spec-url)="([^"]+)"', response.text)
    assert len(references) >= 2, response.text  # the script and the favicon at least
    for reference in references:
        assert reference.startswith("/"), reference
        asset = httpx.get(f"{server}{reference}", timeout=10)
        assert asset.status_code == 200, reference
        if reference.startswith("/docs-assets/"):
            assert "immutable" in asset.headers["cache-control"]  # versioned URL, fetched once

    # The browser is told the same: this server only, and no inline script but the page's own.
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in policy["script-src"]
    assert EXTERNAL_URL.findall(response.headers["content-security-policy"]) == []


def test_swagger_ui_does_not_send_the_spec_to_a_public_validator(server):
    page = httpx.get(f"{server}/docs", timeout=10).text
    assert '"validatorUrl": null' in page


def test_other_responses_keep_a_strict_policy(server):
    response = httpx.get(f"{server}/health/live", timeout=10)
    assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


# --- In Chromium, network closed ---------------------------------------------------------------


@needs_chromium
def test_swagger_ui_renders_every_operation_offline(server, spec, tmp_path):
    dom, browser_log = render(f"{server}/docs", tmp_path)
    operations = _operations(spec)
    assert len(operations) > 20
    assert len(OPBLOCK.findall(dom)) == len(operations), console(browser_log)
    assert 'data-path="/api/v1/persons"' in dom
    assert 'data-path="/api/v1/persons/{person_id}"' in dom
    for path in ("/api/v1/persons", "/api/v1/persons/{person_id}"):
        summary = spec["paths"][path]["get"]["summary"]
        assert f">{html.escape(summary, quote=False)}<" in dom, summary
    assert CSP_VIOLATION.findall(browser_log) == []


@needs_chromium
def test_redoc_renders_every_operation_offline(server, spec, tmp_path):
    dom, browser_log = render(f"{server}/redoc", tmp_path)
    operation_ids = {op["operationId"] for op in _operations(spec)}
    assert set(REDOC_OPERATION.findall(dom)) == operation_ids, console(browser_log)
    assert spec["paths"]["/api/v1/persons"]["get"]["summary"] in html.unescape(dom)
    # Only Redocly's footer logo, an image from its CDN, is refused; nothing the page needs.
    assert set(CSP_VIOLATION.findall(browser_log)) <= {"img-src"}


@needs_chromium
def test_the_stock_cdn_page_stays_blank_in_this_browser(server, tmp_path):
    """The control: FastAPI's default page, which loads Swagger UI from a CDN, renders nothing here."""
    stock = tmp_path / "stock.html"
    stock.write_bytes(get_swagger_ui_html(openapi_url=f"{server}/openapi.json", title="stock").body)
    dom, _ = render(stock.as_uri(), tmp_path / "profile")
    assert "<title>stock</title>" in dom  # the page itself loaded...
    assert re.search(r'<div id="swagger-ui">\s*</div>', dom), dom[-2000:]  # ...but Swagger UI never ran
