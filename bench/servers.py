# ruff: noqa: S603 - runs uvicorn with our own arguments
"""Starting and stopping the servers under test (uvicorn on 127.0.0.1), and nothing else."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import env

READY_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 15


@dataclass
class Server:
    """One uvicorn process (its workers are its children) listening on 127.0.0.1:port."""

    name: str
    port: int
    argv: list[str]
    environ: dict[str, str]
    log_path: Path
    ready_path: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{env.HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            # A session of its own: stopping it never signals the benchmark itself.
            self.process = subprocess.Popen(
                self.argv,
                cwd=env.ROOT,
                env=self.environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: {self.tail()}")
            try:
                if httpx.get(self.base_url + self.ready_path, timeout=2).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"{self.name} not ready after {READY_TIMEOUT_SECONDS} s: {self.tail()}")

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts its workers down), then SIGKILL to the group it leads if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group of the session started above
            self.process.wait(STOP_TIMEOUT_SECONDS)

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def uvicorn(target: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "uvicorn", target, "--host", env.HOST, "--no-access-log", *extra]


def app_server(name: str, port: int, database_url: str, workers: int, log_dir: Path) -> Server:
    """The API as `make run` serves it, with the bench keys and database."""
    argv = uvicorn("app.main:create_app", "--factory", "--port", str(port), "--workers", str(workers))
    return Server(name, port, argv, env.server_env(database_url), log_dir / f"{name}.log", "/health/ready")


def reference_server(name: str, port: int, dsn: str, pool: int, log_dir: Path) -> Server:
    """The raw Starlette + asyncpg reference, one worker, pool as large as the app's."""
    argv = uvicorn("bench.limit_app:app", "--port", str(port))
    environ = env.server_env("", DSN=dsn, POOL=str(pool))
    return Server(name, port, argv, environ, log_dir / f"{name}.log", "/health")


@contextmanager
def running(*servers: Server) -> Iterator[tuple[Server, ...]]:
    """Start all, wait until each answers, and stop all on the way out, whatever happened."""
    with ExitStack() as stack:
        for server in servers:
            stack.callback(server.stop)
            server.start()
        for server in servers:
            server.wait_ready()
        yield servers
