"""Bulk determinations of the PEM rule set over every seeded person, through the API."""

import json
import statistics
import time
import uuid
from importlib import resources
from typing import Any

import httpx

from bench.servers import Server


def available(app: Server) -> bool:
    """Whether this tree serves the eligibility API (it arrived while the benchmark was written)."""
    spec = httpx.get(app.base_url + "/openapi.json", timeout=30).json()
    return "/api/v1/programs/{program_id}/determinations" in spec.get("paths", {})


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    if response.status_code not in (200, 201):
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:500]}")
    return response.json()


def _timed(client: httpx.Client, path: str, body: dict[str, Any], times: int) -> tuple[list[float], dict]:
    """POST `body` to `path` `times` times; the seconds of each, and the last answer."""
    timings, answer = [], {}
    for _ in range(times):
        started = time.perf_counter()
        answer = _post(client, path, body)
        timings.append(round(time.perf_counter() - started, 3))
    return timings, answer


def _summary(timings: list[float]) -> dict[str, float]:
    return {"best_s": min(timings), "median_s": round(statistics.median(timings), 3)}


def measure(app: Server, token: str, site_id: str, persons: int, runs: int = 3) -> dict[str, Any]:
    """Create PEM and its rule set (app/eligibility/seeds/pem.json), activate it, time `runs` runs.

    Then time simulations (counts over every person, nothing written) of the active set against
    itself and of a narrower draft (PEM's rule, women only) against the active set, which also
    lists the first persons who would lose eligibility.
    """
    if not available(app):
        return {"skipped": "the API has no determinations endpoint"}
    seed = json.loads(resources.files("app.eligibility").joinpath("seeds/pem.json").read_text())
    headers = {"Authorization": f"Bearer {token}"}
    scope = {"site_id": site_id}
    with httpx.Client(base_url=app.base_url + "/api/v1", headers=headers, timeout=600) as client:
        program = _post(client, "/programs", seed["program"])
        base = f"/programs/{program['id']}"
        rule_set = _post(client, f"{base}/rule-sets", seed["rule_set"])
        _post(client, f"{base}/rule-sets/{rule_set['id']}/activate", {})
        timings, report = _timed(client, f"{base}/determinations", scope, runs)
        narrower = {"all": [*seed["rule_set"]["rule"]["all"], {"fact": "sex", "op": "eq", "value": "female"}]}
        draft = _post(client, f"{base}/rule-sets", {"rule": narrower})
        same, _ = _timed(client, f"{base}/rule-sets/{rule_set['id']}/simulate", scope, runs)
        other, simulated = _timed(client, f"{base}/rule-sets/{draft['id']}/simulate", scope, runs)
    best = min(timings)
    return {
        "persons": persons,
        "seconds_per_run": timings,
        "median_s": round(statistics.median(timings), 3),
        "determinations_per_s": round(persons / best) if best else None,
        "eligible": report.get("eligible_count", report.get("eligible")),
        "report_keys": sorted(report)[:20],
        "simulation": {
            "active_vs_itself_s": same,
            "draft_vs_active_s": other,
            "draft_newly_ineligible": simulated.get("newly_ineligible"),
            "active_vs_itself": _summary(same),
            "draft_vs_active": _summary(other),
        },
    }
