# ruff: noqa: S603 - runs py-spy, a path found or installed here
"""HTTP scenarios: side-by-side wrk rounds, the deep page, and the profile of the API under load."""

import shutil
import statistics
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import env, procs, wrk
from bench.servers import Server

LIST_PATH = "/api/v1/persons?limit=50"


@dataclass
class Target:
    """A server under test and what it is in the comparison."""

    name: str  # app-1w | app-2w | reference | app-sqlite
    server: Server


def get_paths(ids: list[str]) -> list[str]:
    return [f"/api/v1/persons/{person_id}" for person_id in ids]


def preflight(app: Server, reference: Server | None, token: str, person_id: str) -> dict[str, Any]:
    """Both answer 200 with the same body (next_cursor aside): the reference does the same work."""
    headers = {"Authorization": f"Bearer {token}"}
    checks: dict[str, Any] = {}
    for label, path in (("get", get_paths([person_id])[0]), ("list", LIST_PATH)):
        mine = httpx.get(app.base_url + path, headers=headers, timeout=30)
        if mine.status_code != 200:
            raise RuntimeError(f"{app.name} {path}: {mine.status_code} {mine.text[:300]}")
        check: dict[str, Any] = {"app_status": mine.status_code, "app_bytes": len(mine.content)}
        if reference is not None:
            theirs = httpx.get(reference.base_url + path, headers=headers, timeout=30)
            a, b = mine.json(), theirs.json()
            if isinstance(a, dict) and "items" in a:
                a.pop("next_cursor", None), b.pop("next_cursor", None)
            check |= {
                "reference_status": theirs.status_code,
                "reference_bytes": len(theirs.content),
                "same_body": a == b,
            }
        checks[label] = check
    return checks


def _measure(target: Target, paths: list[str], token: str, seconds: float, connections: int, threads: int):
    load = procs.loadavg()
    cpu0 = procs.tree_cpu_seconds(target.server.pid)
    db0 = procs.database_cpu_seconds(env.BENCH_DB)
    result = wrk.run(
        target.server.base_url, paths, token, seconds=seconds, connections=connections, threads=threads
    )
    cpu = procs.tree_cpu_seconds(target.server.pid) - cpu0
    db = procs.database_cpu_seconds(env.BENCH_DB) - db0
    return result, {"server_cpu_s": round(cpu, 3), "db_cpu_s": round(db, 3), "loadavg_before": load}


def rounds(
    plan: dict[str, list[Target]],
    paths: dict[str, list[str]],
    token: str,
    *,
    rounds: int,
    seconds: float,
    connections: int,
    threads: int,
    warmup: float,
    log: Any = print,
) -> list[dict[str, Any]]:
    """Interleaved rounds: per scenario, every target once per round, the order rotating each round."""
    runs = []
    for scenario, targets in plan.items():
        for target in targets:
            if warmup > 0:
                wrk.run(
                    target.server.base_url,
                    paths[scenario],
                    token,
                    seconds=warmup,
                    connections=connections,
                    threads=threads,
                )
    for number in range(rounds):
        for scenario, targets in plan.items():
            shift = number % len(targets)
            for target in targets[shift:] + targets[:shift]:
                result, extra = _measure(target, paths[scenario], token, seconds, connections, threads)
                runs.append(
                    {"scenario": scenario, "target": target.name, "round": number + 1}
                    | result.to_dict()
                    | extra
                )
                log(
                    f"  round {number + 1} {scenario:5} {target.name:10} {result.rps:8.1f} req/s"
                    f"  p50 {result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms"
                    f"  timeouts {result.timeouts} errors {result.socket_errors} non-2xx {result.non_2xx}"
                    f"  load {extra['loadavg_before']:.1f}"
                )
    return runs


def summarize(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per scenario and target: req/s over all rounds, the median round's p50/p99, failures summed."""
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for scenario in dict.fromkeys(r["scenario"] for r in runs):
        summary[scenario] = {}
        for target in dict.fromkeys(r["target"] for r in runs if r["scenario"] == scenario):
            mine = [r for r in runs if r["scenario"] == scenario and r["target"] == target]
            requests = sum(r["requests"] for r in mine)
            seconds = sum(r["seconds"] for r in mine)
            summary[scenario][target] = {
                "rounds": len(mine),
                "requests": requests,
                "rps": round(requests / seconds, 1) if seconds else 0.0,
                "rps_per_round": [r["rps"] for r in mine],
                "p50_ms": round(statistics.median(r["p50_ms"] for r in mine), 2),
                "p99_ms": round(statistics.median(r["p99_ms"] for r in mine), 2),
                "p99_ms_worst": round(max(r["p99_ms"] for r in mine), 2),
                "timeouts": sum(r["timeouts"] for r in mine),
                "socket_errors": sum(r["socket_errors"] for r in mine),
                "non_2xx": sum(r["non_2xx"] for r in mine),
                "server_cpu_ms_per_request": round(1000 * sum(r["server_cpu_s"] for r in mine) / requests, 3)
                if requests
                else None,
                "db_cpu_ms_per_request": round(1000 * sum(r["db_cpu_s"] for r in mine) / requests, 3)
                if requests
                else None,
            }
    return summary


def deep_cursor(app: Server, token: str, row: int, page_size: int = 200) -> tuple[str, int]:
    """Walk the list once, `page_size` rows a page, to the cursor after row `row`; (cursor, pages)."""
    headers = {"Authorization": f"Bearer {token}"}
    cursor, seen, pages = None, 0, 0
    with httpx.Client(base_url=app.base_url, headers=headers, timeout=60) as client:
        while seen < row:
            limit = min(page_size, row - seen)
            params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
            response = client.get("/api/v1/persons", params=params)
            response.raise_for_status()
            body = response.json()
            seen, pages, cursor = seen + len(body["items"]), pages + 1, body["next_cursor"]
            if cursor is None:
                raise RuntimeError(f"the list ended after {seen} rows, before row {row}")
    return cursor, pages


def deep_page(
    app: Server, token: str, row: int, *, rounds_: int, seconds: float, connections: int, threads: int
) -> dict[str, Any]:
    """First page vs the page after row `row`, interleaved; the ratio of their latencies."""
    cursor, pages = deep_cursor(app, token, row)
    first, deep = Target("first-page", app), Target("deep-page", app)
    paths = {"first": [LIST_PATH], "deep": [f"{LIST_PATH}&cursor={cursor}"]}
    runs = rounds(
        {"first": [first], "deep": [deep]},
        paths,
        token,
        rounds=rounds_,
        seconds=seconds,
        connections=connections,
        threads=threads,
        warmup=0,
        log=lambda *_: None,
    )
    summary = summarize(runs)
    one, far = summary["first"]["first-page"], summary["deep"]["deep-page"]
    return {
        "row": row,
        "pages_walked": pages,
        "connections": connections,
        "first_page": one,
        "deep_page": far,
        "p50_ratio": round(far["p50_ms"] / one["p50_ms"], 3) if one["p50_ms"] else None,
        "p99_ratio": round(far["p99_ms"] / one["p99_ms"], 3) if one["p99_ms"] else None,
        "rps_ratio": round(far["rps"] / one["rps"], 3) if one["rps"] else None,
    }


def ensure_py_spy() -> str | None:
    """py-spy in the virtualenv (pip install py-spy when missing); None when it cannot be had."""
    local = Path(sys.executable).parent / "py-spy"
    if local.exists():
        return str(local)
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "py-spy"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (subprocess.SubprocessError, OSError):
        return shutil.which("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def profile(
    app: Server, paths: list[str], token: str, out_dir: Path, *, seconds: float, connections: int
) -> dict[str, Any]:
    """py-spy on the one-worker API while wrk drives GET one person: a flame graph and a top list."""
    py_spy = ensure_py_spy()
    if py_spy is None:
        return {"skipped": "py-spy could not be installed"}
    svg, raw = out_dir / "profile-get.svg", out_dir / "profile-get.txt"
    load: dict[str, Any] = {}

    def drive() -> None:
        load["wrk"] = wrk.run(
            app.base_url, paths, token, seconds=seconds + 4, connections=connections
        ).to_dict()

    driver = threading.Thread(target=drive)
    driver.start()
    try:
        common = ["--pid", str(app.pid), "--duration", str(round(seconds)), "--rate", "200", "--nonblocking"]
        recorders = [
            subprocess.Popen(
                [py_spy, "record", *common, "-o", str(svg)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            ),
            subprocess.Popen(
                [py_spy, "record", *common, "--format", "raw", "-o", str(raw)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            ),
        ]
        errors = [p.communicate(timeout=seconds + 60)[1].decode(errors="replace") for p in recorders]
    finally:
        driver.join()
    if not raw.exists():
        return {"skipped": "py-spy recorded nothing: " + " ".join(errors)[-500:]}
    return {"svg": svg.name, "raw": raw.name, "load": load.get("wrk"), **top_frames(raw)}


def top_frames(raw: Path, count: int = 25) -> dict[str, Any]:
    """Self and inclusive shares of the busiest frames in py-spy's collapsed stacks.

    Samples without a Python frame (the thread in uvloop's C loop or in the kernel, or waiting for
    a CPU on a busy machine) are counted apart; shares are of the samples with Python frames.
    SQLAlchemy's sync-style code runs in greenlets, whose stacks py-spy shows as separate roots
    (Session.execute ...), so "inclusive" understates the routes' share: see by_package too.
    """
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = empty = 0
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not samples.isdigit():
            continue
        n = int(samples)
        frames = [f.strip() for f in stack.split(";") if f.strip()]
        if not frames:
            empty += n
            continue
        total += n
        own[frames[-1]] += n
        packages[_package(frames[-1])] += n
        for frame in set(frames):
            inclusive[frame] += n

    def share(counter: Counter[str], keep: Any = lambda f: True) -> list[dict[str, Any]]:
        rows = [(f, n) for f, n in counter.most_common() if keep(f)][:count]
        return [{"frame": f, "share": round(n / total, 4)} for f, n in rows] if total else []

    entry_points = ("<module>", "_run_code", "_run_module_as_main", "run (uvicorn", "main (uvicorn")
    return {
        "samples": total + empty,
        "samples_without_python_frame": empty,
        "self": share(own),
        "inclusive": share(inclusive, lambda f: not f.startswith(entry_points)),
        "app_inclusive": share(inclusive, lambda f: "(app/" in f),
        "by_package": share(packages),
    }


def _package(frame: str) -> str:
    """`Session.execute (sqlalchemy/orm/session.py:2555)` -> `sqlalchemy`."""
    location = frame.rsplit("(", 1)[-1].rstrip(")")
    return location.split("/", 1)[0] if "/" in location else location.split(":", 1)[0]
