# ruff: noqa: S603, S607 - psql from PATH, with our own arguments
"""Results: machine facts, targets met or missed, the JSON files, and the Markdown table."""

import json
import os
import platform
import re
import subprocess
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

# The proof issue's targets.
MIN_RATIO = 0.5  # list and get persons, req/s as a share of the reference's
MAX_P99_RATIO = 4.0  # p99 at most this multiple of the reference's, with no timeouts
MIN_SCALING = 1.4  # two workers over one, GET one person
MIN_IMPORT_ROWS_S = 50_000
MAX_IMPORT_RSS_MIB = 300
DETERMINATIONS = 1_000_000  # ... in
DETERMINATIONS_SECONDS = 10

NOTES_START = "<!-- bench:auto:start -->"
NOTES_END = "<!-- bench:auto:end -->"


def machine(admin_url: str) -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    try:
        pg = subprocess.run(
            ["psql", admin_url, "-Atc", "SELECT version()"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except OSError:
        pg = "unknown"
    packages = {}
    for name in ("fastapi", "starlette", "uvicorn", "sqlalchemy", "asyncpg", "pydantic", "orjson", "uvloop"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": pg,
        "packages": packages,
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def ratios(summary: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """App over reference per endpoint, and two workers over one."""
    out: dict[str, Any] = {}
    for scenario, targets in summary.items():
        app, ref, two = targets.get("app-1w"), targets.get("reference"), targets.get("app-2w")
        if app and ref:
            out[scenario] = {
                "rps_ratio": _ratio(app["rps"], ref["rps"]),
                "p99_ratio": _ratio(app["p99_ms"], ref["p99_ms"]),
                "cpu_per_request_ratio": _ratio(
                    app["server_cpu_ms_per_request"], ref["server_cpu_ms_per_request"]
                ),
            }
        if app and two:
            out.setdefault(scenario, {})["scaling_2w_over_1w"] = _ratio(two["rps"], app["rps"])
    return out


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of the issue: the figure, and met (True/False) or not measured (None)."""
    rows: list[dict[str, Any]] = []
    summary = results.get("http", {}).get("summary", {})
    rat = results.get("ratios", {})
    for scenario, label in (("get", "GET one person"), ("list", "GET list of 50")):
        app = summary.get(scenario, {}).get("app-1w")
        r = rat.get(scenario, {})
        if app is None or r.get("rps_ratio") is None or r.get("p99_ratio") is None:
            rows.append(
                {"name": f"{label}: req/s vs reference", "target": f">= {MIN_RATIO}x", "measured": None}
            )
            continue
        failures = app["timeouts"] + app["socket_errors"] + app["non_2xx"]
        served = app["requests"] > 0  # a run where nothing completed has no latency to compare
        rows.append(
            {
                "name": f"{label}: req/s vs reference",
                "target": f">= {MIN_RATIO}x",
                "measured": f"{r['rps_ratio']:.2f}x ({app['rps']:.0f} vs "
                f"{summary[scenario]['reference']['rps']:.0f} req/s)",
                "met": r["rps_ratio"] >= MIN_RATIO,
            }
        )
        rows.append(
            {
                "name": f"{label}: p99 vs reference, no timeouts",
                "target": f"<= {MAX_P99_RATIO:g}x, 0 timeouts or errors",
                "measured": f"{r['p99_ratio']:.2f}x ({app['p99_ms']:.0f} vs "
                f"{summary[scenario]['reference']['p99_ms']:.0f} ms), {app['timeouts']} timeouts, "
                f"{app['socket_errors']} socket errors, {app['non_2xx']} non-2xx",
                "met": served and r["p99_ratio"] <= MAX_P99_RATIO and failures == 0,
            }
        )
    scaling = rat.get("get", {}).get("scaling_2w_over_1w")
    rows.append(
        {
            "name": "2 workers vs 1 worker (GET one person)",
            "target": f">= {MIN_SCALING}x",
            "measured": None if scaling is None else f"{scaling:.2f}x",
            "met": None if scaling is None else scaling >= MIN_SCALING,
        }
    )
    imp = results.get("import", {}).get("postgresql")
    if imp and "rows_per_s" in imp:
        rows.append(
            {
                "name": f"CSV import, {imp['rows']:,} rows (PostgreSQL)",
                "target": f">= {MIN_IMPORT_ROWS_S:,} rows/s within {MAX_IMPORT_RSS_MIB} MiB",
                "measured": f"{imp['rows_per_s']:,} rows/s, peak RSS {imp['peak_rss_mib']:.0f} MiB"
                + ("" if imp["ok"] else " (import FAILED)")
                + (
                    f"; the database alone (COPY of the same rows, prepared): "
                    f"{imp['copy_ceiling']['rows_per_s']:,} rows/s"
                    if "copy_ceiling" in imp
                    else ""
                ),
                "met": imp["ok"]
                and imp["rows_per_s"] >= MIN_IMPORT_ROWS_S
                and imp["peak_rss_mib"] <= MAX_IMPORT_RSS_MIB,
            }
        )
    else:
        rows.append({"name": "CSV import", "target": f">= {MIN_IMPORT_ROWS_S:,} rows/s", "measured": None})
    det = results.get("determinations", {})
    if det.get("determinations_per_s"):
        needed = DETERMINATIONS / DETERMINATIONS_SECONDS
        extrapolated = det["persons"] < DETERMINATIONS
        rows.append(
            {
                "name": f"PEM determinations ({det['persons']:,} persons)",
                "target": f"{DETERMINATIONS:,} in {DETERMINATIONS_SECONDS} s",
                "measured": f"{min(det['seconds_per_run']):.2f} s = {det['determinations_per_s']:,}/s"
                + (
                    f" (1M would take ~{DETERMINATIONS / det['determinations_per_s']:.1f} s)"
                    if extrapolated
                    else ""
                ),
                "met": det["determinations_per_s"] >= needed,
                "extrapolated": extrapolated,
            }
        )
    else:
        rows.append(
            {
                "name": "PEM determinations",
                "target": f"{DETERMINATIONS:,} in {DETERMINATIONS_SECONDS} s",
                "measured": None,
                "why": det.get("skipped") or det.get("error"),
            }
        )
    for row in rows:
        row.setdefault("met", None)
    return rows


def _fmt(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown(results: dict[str, Any]) -> str:
    """The tables the README takes."""
    m = results["machine"]
    lines = [
        f"Measured {results['finished_at'][:16].replace('T', ' ')} UTC on {m['nproc']} cores "
        f"({m['cpu_model']}), "
        f"{m['postgresql'].split(' on ')[0]}, {results['args']['size']:,} persons; wrk "
        f"-c{results['args']['connections']}, {results['args']['rounds']} interleaved rounds of "
        f"{results['args']['duration']:g} s per target; load average before/after "
        f"{results['loadavg']['start']:.1f}/{results['loadavg']['end']:.1f}.",
        "",
        "| endpoint | server | req/s | p50 ms | p99 ms | timeouts / errors / non-2xx | CPU ms/req"
        " | vs reference |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    summary = dict(results.get("http", {}).get("summary", {}))
    for scenario, targets_ in results.get("sqlite", {}).get("summary", {}).items():
        summary[scenario] = {**summary.get(scenario, {}), **targets_}
    names = {"get": "GET /persons/{id}", "list": "GET /persons?limit=50"}
    for scenario, targets_ in summary.items():
        ref = targets_.get("reference")
        for target, s in targets_.items():
            ratio = _ratio(s["rps"], ref["rps"]) if ref else None
            versus = "1.00" if target == "reference" else ("–" if ratio is None else f"{ratio:.2f}x")
            if target == "app-2w" and "app-1w" in targets_:
                scaling = _ratio(s["rps"], targets_["app-1w"]["rps"])
                versus += "" if scaling is None else f" ({scaling:.2f}x 1 worker)"
            if target == "app-sqlite":
                versus = "–"
            lines.append(
                f"| {names.get(scenario, scenario)} | {target} | {_fmt(s['rps'])} | {_fmt(s['p50_ms'], 1)} | "
                f"{_fmt(s['p99_ms'], 1)} | {s['timeouts']} / {s['socket_errors']} / {s['non_2xx']} | "
                f"{_fmt(s['server_cpu_ms_per_request'], 2)} | {versus} |"
            )
    for note in results.get("notes", []):
        lines += ["", f"Note: {note}"]
    checks = results.get("http", {}).get("preflight", {})
    if checks:
        same = all(c.get("same_body") for c in checks.values())
        lines += ["", f"The reference answers with the same JSON body as the API: {'yes' if same else 'NO'}."]
    deep = results.get("deep_page")
    if deep and deep.get("p50_ratio") is not None and deep.get("rps_ratio") is not None:
        lines += [
            "",
            f"Deep page (cursor after row {deep['row']:,}, wrk -c{deep['connections']}): p50 "
            f"{deep['deep_page']['p50_ms']:.1f} ms vs first page {deep['first_page']['p50_ms']:.1f} ms "
            f"= {deep['p50_ratio']:.2f}x (req/s {deep['rps_ratio']:.2f}x).",
        ]
    for backend, imp in results.get("import", {}).items():
        if isinstance(imp, dict) and "rows_per_s" in imp:
            lines.append(
                f"CSV import via CLI ({backend}, {imp['rows']:,} rows): {imp['seconds']:.1f} s = "
                f"{imp['rows_per_s']:,} rows/s, peak RSS {imp['peak_rss_mib']:.0f} MiB"
                + ("" if imp["ok"] else " — FAILED")
                + (
                    f"; COPY of the same rows already prepared (no reading, checking or encryption), "
                    f"in one rolled-back transaction: {imp['copy_ceiling']['rows_per_s']:,} rows/s"
                    if "copy_ceiling" in imp
                    else ""
                )
                + "."
            )
    lines += ["", "| target | goal | measured | met |", "| --- | --- | --- | --- |"]
    for row in results.get("targets", []):
        met = {True: "yes", False: "**no**", None: "not measured"}[row["met"]]
        lines.append(
            f"| {row['name']} | {row['target']} | {row['measured'] or row.get('why') or '–'} | {met} |"
        )
    return "\n".join(lines)


def write(results: dict[str, Any], out_dir: Path) -> Path:
    """bench/results/<UTC timestamp>.json and latest.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(results["started_at"]).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(results, indent=2, default=str) + "\n"
    path = out_dir / f"{stamp}.json"
    path.write_text(text)
    (out_dir / "latest.json").write_text(text)
    (out_dir / "latest.md").write_text(markdown(results) + "\n")
    return path


def update_notes(results: dict[str, Any], out_dir: Path) -> None:
    """Rewrite the generated part of NOTES.md (missed targets, the profile's top frames); keep the rest."""
    path = out_dir / "NOTES.md"
    lines = [
        NOTES_START,
        f"Generated by `python -m bench` at {results['finished_at']} (do not edit by hand).",
        "",
    ]
    missed = [r for r in results.get("targets", []) if r["met"] is False]
    lines.append("Missed targets:" if missed else "No target missed.")
    lines += [f"- {r['name']}: {r['measured']} (goal {r['target']})" for r in missed]
    prof = results.get("profile", {})
    if prof.get("samples"):
        lines += [
            "",
            f"py-spy, GET one person on one worker under wrk load ({prof['samples']} samples; "
            f"flame graph: {prof['svg']}). Inclusive share of the busiest app frames:",
        ]
        lines += [f"- {p['share']:.0%} {p['frame']}" for p in prof["app_inclusive"][:12]]
        lines += [
            "",
            f"Samples without a Python frame (uvloop/kernel, or waiting for a CPU): "
            f"{prof['samples_without_python_frame']} of {prof['samples']}, left out of the shares. "
            "By package of the innermost frame:",
        ]
        lines += [f"- {p['share']:.0%} {p['frame']}" for p in prof["by_package"][:8]]
        lines += ["", "Busiest frames overall (inclusive):"]
        lines += [f"- {p['share']:.0%} {p['frame']}" for p in prof["inclusive"][:20]]
        lines += ["", "Most self time:"]
        lines += [f"- {p['share']:.0%} {p['frame']}" for p in prof["self"][:12]]
    elif prof:
        lines += ["", f"No profile: {prof.get('skipped')}"]
    lines.append(NOTES_END)
    generated = "\n".join(lines)
    text = (
        path.read_text() if path.exists() else "# Benchmark notes\n\n" + NOTES_START + "\n" + NOTES_END + "\n"
    )
    if NOTES_START in text and NOTES_END in text:
        text = re.sub(
            re.escape(NOTES_START) + ".*?" + re.escape(NOTES_END), lambda _: generated, text, flags=re.S
        )
    else:
        text += "\n" + generated + "\n"
    path.write_text(text)
