# ruff: noqa: S603, S607 - wrk and apt-get from PATH, with our own arguments
"""Driving wrk (the Debian package) and reading what it measured.

Each run gets a Lua script whose `done` hook prints one JSON line with the summary and latency
percentiles from wrk's own histogram; the human-readable text is kept for when that line is missing.
"""

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench import env

MARKER = "BENCH_JSON "

DONE_HOOK = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    MARKER, summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


@dataclass
class WrkResult:
    """One wrk run: throughput, latency (ms) and every kind of failure wrk counts."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    socket_errors: int  # connect + read + write errors
    timeouts: int
    non_2xx: int
    bytes: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def ensure_installed() -> str:
    """The wrk binary; installed from Debian's packages when missing (the bench runs as root)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise RuntimeError("wrk is missing: apt-get install -y wrk (needs root)")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "timeout": 600, "check": True}
    noninteractive = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=noninteractive, **quiet)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=noninteractive, **quiet)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("apt-get install wrk did not provide a wrk binary")
    return found


def version() -> str:
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
    return (out.stdout or out.stderr).splitlines()[0].strip() if (out.stdout or out.stderr) else "unknown"


def lua_script(token: str, paths: list[str]) -> str:
    """Headers, and with several paths a `request` hook that cycles through them."""
    lines = [f'MARKER = "{MARKER}"', f'wrk.headers["Authorization"] = "Bearer {token}"']
    if len(paths) > 1:
        quoted = ",".join(json.dumps(p) for p in paths)
        lines += [
            f"local paths = {{{quoted}}}",
            "local n = 0",
            "request = function()",
            "  n = n + 1",
            "  return wrk.format(nil, paths[(n % #paths) + 1])",
            "end",
        ]
    return "\n".join(lines) + "\n" + DONE_HOOK


def run(
    base_url: str,
    paths: list[str],
    token: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    timeout_s: float = 2.0,
) -> WrkResult:
    """One wrk run against 127.0.0.1 only; `paths[0]` is in the URL, a script cycles through all."""
    if urlsplit(base_url).hostname != env.HOST:
        raise ValueError(f"the benchmark only sends traffic to {env.HOST}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(token, paths))
    try:
        argv = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            f"{max(1, round(timeout_s))}s",
            "-s",
            script.name,
            base_url + paths[0],
        ]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    finally:
        Path(script.name).unlink(missing_ok=True)
    return parse(out.stdout, out.stderr)


def parse(stdout: str, stderr: str = "") -> WrkResult:
    """The JSON line printed by the done hook."""
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            seconds = data["duration_us"] / 1e6
            return WrkResult(
                requests=data["requests"],
                seconds=round(seconds, 3),
                rps=round(data["requests"] / seconds, 1) if seconds else 0.0,
                p50_ms=data["p50_us"] / 1000,
                p90_ms=data["p90_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                max_ms=data["max_us"] / 1000,
                mean_ms=round(data["mean_us"] / 1000, 3),
                socket_errors=data["connect"] + data["read"] + data["write"],
                timeouts=data["timeout"],
                non_2xx=data["status"],
                bytes=data["bytes"],
            )
    raise RuntimeError(f"wrk printed no summary:\n{stdout[-2000:]}\n{stderr[-2000:]}")
