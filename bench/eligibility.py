"""Bulk determinations of the PEM rule set over every seeded person, through the API."""

import json
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


def measure(app: Server, token: str, site_id: str, persons: int, runs: int = 2) -> dict[str, Any]:
    """Create PEM and its rule set (app/eligibility/seeds/pem.json), activate it, time `runs` runs."""
    if not available(app):
        return {"skipped": "the API has no determinations endpoint"}
    seed = json.loads(resources.files("app.eligibility").joinpath("seeds/pem.json").read_text())
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=app.base_url + "/api/v1", headers=headers, timeout=600) as client:
        program = _post(client, "/programs", seed["program"])
        rule_set = _post(client, f"/programs/{program['id']}/rule-sets", seed["rule_set"])
        _post(client, f"/programs/{program['id']}/rule-sets/{rule_set['id']}/activate", {})
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            report = _post(client, f"/programs/{program['id']}/determinations", {"site_id": site_id})
            timings.append(round(time.perf_counter() - started, 3))
    best = min(timings)
    return {
        "persons": persons,
        "seconds_per_run": timings,
        "determinations_per_s": round(persons / best) if best else None,
        "eligible": report.get("eligible_count", report.get("eligible")),
        "report_keys": sorted(report)[:20],
    }
