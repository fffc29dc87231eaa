"""`python -m bench` (`make bench`): seed, serve, measure side by side, and write the results.

python -m bench                       # 100,000 persons, everything: ~9 minutes on 2 cores
python -m bench --size 1000000        # 1M persons (and a 1M-row import)
python -m bench --only get,list --duration 5 --skip-import
"""

import argparse
import asyncio
import socket
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import env

SCENARIOS = ("get", "list", "scale", "deep", "profile", "determinations", "import", "sqlite")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    p.add_argument("--size", type=int, default=100_000, help="persons to seed (default 100,000)")
    p.add_argument("--duration", type=float, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds per target (default 3)")
    p.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: wrk shares 2 cores)")
    p.add_argument("--warmup", type=float, default=3, help="unrecorded seconds per target first")
    p.add_argument("--only", default=",".join(SCENARIOS), help=f"comma list of {','.join(SCENARIOS)}")
    p.add_argument("--skip-import", action="store_true", help="no CSV import")
    p.add_argument("--skip-sqlite", action="store_true", help="no SQLite (embedded) figures")
    p.add_argument("--skip-profile", action="store_true", help="no py-spy profile")
    p.add_argument("--profile-target", choices=("get", "list"), default="get", help="endpoint py-spy watches")
    p.add_argument("--deep-row", type=int, default=90_000, help="row of the deep page's cursor")
    p.add_argument("--deep-connections", type=int, default=8, help="wrk connections for the deep page")
    p.add_argument("--import-rows", type=int, default=None, help="rows of the CSV import (default --size)")
    p.add_argument("--sqlite-size", type=int, default=None, help="persons on SQLite (default --size)")
    p.add_argument("--sqlite-rounds", type=int, default=1, help="rounds on SQLite (default 1)")
    p.add_argument(
        "--sqlite-import-rows", type=int, default=10_000, help="rows of the SQLite import (default 10,000)"
    )
    p.add_argument("--results", type=Path, default=env.RESULTS, help="where results go")
    args = p.parse_args(argv)
    chosen = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = chosen - set(SCENARIOS)
    if unknown:
        p.error(f"unknown in --only: {', '.join(sorted(unknown))}")
    for flag, name in (
        (args.skip_import, "import"),
        (args.skip_sqlite, "sqlite"),
        (args.skip_profile, "profile"),
    ):
        if flag:
            chosen.discard(name)
    args.chosen = chosen
    args.import_rows = args.import_rows or args.size
    args.sqlite_size = args.sqlite_size or args.size
    args.deep_row = min(args.deep_row, int(args.size * 0.9))
    return args


def free_port() -> int:
    with socket.socket() as s:
        s.bind((env.HOST, 0))
        return s.getsockname()[1]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Phases:
    """Runs each phase, timing it; a failing phase is recorded and the run goes on to write results."""

    def __init__(self, results: dict[str, Any]) -> None:
        self.results = results
        results.setdefault("phase_seconds", {})
        results.setdefault("errors", {})

    def run(self, name: str, work: Any) -> Any:
        log(f"== {name}")
        started = time.perf_counter()
        try:
            return work()
        except Exception as exc:  # recorded, printed, and the exit code says so
            traceback.print_exc()
            self.results["errors"][name] = f"{type(exc).__name__}: {exc}"[:2000]
            return None
        finally:
            self.results["phase_seconds"][name] = round(time.perf_counter() - started, 1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env.apply_to_this_process(env.pg_url(driver=True))  # before anything reads app.config

    from bench import imports, procs, report, seed, wrk

    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "started_at": started.isoformat(),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "chosen"}
        | {"scenarios": sorted(args.chosen)},
        "loadavg": {"start": procs.loadavg()},
        "notes": [],
    }
    phases = Phases(results)
    wrk_bin = phases.run("wrk", wrk.ensure_installed)
    results["machine"] = report.machine(env.ADMIN_URL) | {"wrk": wrk.version() if wrk_bin else None}
    http_wanted = args.chosen & {"get", "list", "scale", "deep", "profile", "determinations"}

    with tempfile.TemporaryDirectory(prefix="reintegrasi-bench-") as tmp:
        work_dir = Path(tmp)
        pg = phases.run("seed postgresql", lambda: asyncio.run(seed.seed_postgres(args.size)))
        if pg is not None:
            results["seed"] = {"postgresql": _seed_facts(pg)}
            log(f"   {pg.counts} in {pg.seconds} s")
        if pg is not None and http_wanted and wrk_bin:
            phases.run("http postgresql", lambda: _http_postgres(args, pg, work_dir, results, phases))
        if pg is not None and "import" in args.chosen:
            csv_path = work_dir / "import.csv"
            phases.run(
                "write import csv",
                lambda: imports.write_csv(csv_path, args.import_rows, pg.regencies, first=args.size + 1),
            )
            imp = phases.run(
                "import postgresql",
                lambda: imports.measure(pg.url, str(pg.import_site_id), csv_path, args.import_rows),
            )
            if imp is not None:
                results.setdefault("import", {})["postgresql"] = imp
                log(f"   {imp['rows_per_s']} rows/s, peak RSS {imp['peak_rss_mib']} MiB, ok={imp['ok']}")
            if imp is not None and imp["ok"]:
                ceiling = phases.run(
                    "copy ceiling postgresql",
                    lambda: asyncio.run(imports.copy_ceiling(env.pg_url(), str(pg.import_site_id))),
                )
                if ceiling is not None:
                    imp["copy_ceiling"] = ceiling
                    log(f"   COPY of the same rows, prepared: {ceiling['rows_per_s']} rows/s")
        if "sqlite" in args.chosen:
            phases.run("sqlite", lambda: _sqlite(args, work_dir, results, phases, wrk_bin))

    results["loadavg"]["end"] = procs.loadavg()
    busiest = max(r.get("loadavg_before", 0) for r in results.get("http", {}).get("runs", [{}]))
    cores = results["machine"]["nproc"] or 1
    if max(results["loadavg"]["start"], busiest) > cores:
        results["notes"].append(
            f"load average up to {max(results['loadavg']['start'], busiest):.1f} on {cores} cores: other "
            "processes competed for the CPU, so absolute req/s and latencies, and the 2-worker scaling, are "
            "not representative; the ratios to the reference (measured interleaved) and the CPU ms per "
            "request are the robust figures."
        )
    results["finished_at"] = datetime.now(UTC).isoformat()
    results["duration_s"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    results["ratios"] = report.ratios(results.get("http", {}).get("summary", {}))
    results["targets"] = report.targets(results)
    path = report.write(results, args.results)
    report.update_notes(results, args.results)
    print(report.markdown(results))
    log(f"\nresults: {path} (and latest.json, latest.md); notes: {args.results / 'NOTES.md'}")
    if results["errors"]:
        log(f"phases that failed: {', '.join(results['errors'])}")
        return 1
    return 0


def _seed_facts(seeded: Any) -> dict[str, Any]:
    return {"counts": seeded.counts, "seconds": seeded.seconds, "notes": seeded.notes}


def _http_postgres(
    args: argparse.Namespace, pg: Any, work_dir: Path, results: dict[str, Any], phases: Phases
) -> None:
    from bench import eligibility, http, servers

    pool = 20  # the app's db_pool_size default (no overflow), per worker
    app1 = servers.app_server("app-1w", free_port(), pg.url, 1, work_dir)
    ref = servers.reference_server("reference", free_port(), env.pg_url(), pool, work_dir)
    app2 = servers.app_server("app-2w", free_port(), pg.url, 2, work_dir) if "scale" in args.chosen else None
    started = [s for s in (app1, ref, app2) if s is not None]
    section: dict[str, Any] = {}
    results["http"] = section
    with servers.running(*started):
        section["preflight"] = http.preflight(app1, ref, pg.token, pg.sample_ids[0])
        log(f"   preflight {section['preflight']}")
        plan: dict[str, list[http.Target]] = {}
        for scenario in ("get", "list"):
            if scenario in args.chosen or (scenario == "get" and "scale" in args.chosen):
                plan[scenario] = [http.Target("app-1w", app1), http.Target("reference", ref)]
                if app2 is not None and scenario == "get":  # the scaling target is on GET one person
                    plan[scenario].append(http.Target("app-2w", app2))
        paths = {"get": http.get_paths(pg.sample_ids), "list": [http.LIST_PATH]}
        if plan:
            runs = phases.run(
                "wrk rounds",
                lambda: http.rounds(
                    plan,
                    paths,
                    pg.token,
                    rounds=args.rounds,
                    seconds=args.duration,
                    connections=args.connections,
                    threads=args.threads,
                    warmup=args.warmup,
                    log=log,
                ),
            )
            if runs:
                section["runs"], section["summary"] = runs, http.summarize(runs)
        if "deep" in args.chosen:
            results["deep_page"] = phases.run(
                "deep page",
                lambda: http.deep_page(
                    app1,
                    pg.token,
                    args.deep_row,
                    rounds_=2,
                    seconds=max(3, args.duration / 2),
                    connections=args.deep_connections,
                    threads=1,
                ),
            )
        if "profile" in args.chosen:
            results["profile"] = phases.run(
                "profile",
                lambda: http.profile(
                    app1,
                    paths[args.profile_target],
                    pg.token,
                    args.results,
                    seconds=10,
                    connections=args.connections,
                ),
            )
        if "determinations" in args.chosen:
            results["determinations"] = phases.run(
                "determinations",
                lambda: eligibility.measure(app1, pg.token, str(pg.site_id), args.size),
            ) or {"error": results["errors"].get("determinations")}
    section["server_logs_tail"] = {s.name: s.tail(5) for s in started}


def _sqlite(
    args: argparse.Namespace, work_dir: Path, results: dict[str, Any], phases: Phases, wrk_bin: Any
) -> None:
    from bench import http, imports, seed, servers

    db = work_dir / "bench.db"
    lite = phases.run("seed sqlite", lambda: asyncio.run(seed.seed_sqlite(db, args.sqlite_size)))
    if lite is None:
        return
    results.setdefault("seed", {})["sqlite"] = _seed_facts(lite)
    log(f"   {lite.counts} in {lite.seconds} s")
    if wrk_bin and args.chosen & {"get", "list"}:
        app = servers.app_server("app-sqlite", free_port(), lite.url, 1, work_dir)
        with servers.running(app):
            http.preflight(app, None, lite.token, lite.sample_ids[0])
            plan = {s: [http.Target("app-sqlite", app)] for s in ("get", "list") if s in args.chosen}
            paths = {"get": http.get_paths(lite.sample_ids), "list": [http.LIST_PATH]}
            runs = http.rounds(
                plan,
                paths,
                lite.token,
                rounds=args.sqlite_rounds,
                seconds=args.duration,
                connections=args.connections,
                threads=args.threads,
                warmup=args.warmup,
                log=log,
            )
            results["sqlite"] = {"runs": runs, "summary": http.summarize(runs)}
    if "import" in args.chosen:
        csv_path = work_dir / "import-sqlite.csv"
        imports.write_csv(csv_path, args.sqlite_import_rows, lite.regencies, first=args.sqlite_size + 1)
        imp = imports.measure(lite.url, str(lite.import_site_id), csv_path, args.sqlite_import_rows)
        results.setdefault("import", {})["sqlite"] = imp
        log(
            f"   sqlite import {imp['rows_per_s']} rows/s, peak RSS {imp['peak_rss_mib']} MiB, ok={imp['ok']}"
        )


if __name__ == "__main__":
    sys.exit(main())
