"""Aggregate statistics through the API: exact for staff, small cells suppressed for partners and viewers."""

import pytest

from tests.persons.helpers import make_site
from tests.persons.support import post_csv

STATS = "/api/v1/stats/persons"
THRESHOLD = 5
DIMENSIONS = (
    "by_status",
    "by_origin_province",
    "by_origin_regency",
    "by_domicile_region",
    "by_site",
    "by_sex",
)


async def _import(client, callers, site_id: str, rows: list[tuple[str, str]]) -> None:
    """Persons with the given (origin_region_code, sex), in one import."""
    lines = ["full_name,legal_basis,origin_region_code,sex,domicile_region_code"]
    lines += [f"Warga Uji {n},public_task,{origin},{sex},53.71" for n, (origin, sex) in enumerate(rows)]
    response = await post_csv(client, callers, site_id, ("\n".join(lines) + "\n").encode())
    assert response.status_code == 200, response.text


async def _stats(client, caller, **params):
    response = await client.get(STATS, params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _counts(cells):
    return {c["key"]: c["count"] for c in cells}


async def test_complementary_suppression_for_partners_and_viewers(client, callers):
    site = await make_site(client, callers)
    await _import(
        client,
        callers,
        site["id"],
        [("53.01", "female")] * 6 + [("53.02", "female")] * 7 + [("53.05", "male")],
    )
    officer = await _stats(client, callers.officer)
    assert officer["total"] == {"key": "total", "count": 14, "suppressed": False}
    assert _counts(officer["by_origin_regency"]) == {"53.01": 6, "53.02": 7, "53.05": 1}
    assert _counts(officer["by_sex"]) == {"female": 13, "male": 1}
    assert officer["suppression_threshold"] is None

    for caller in (callers.viewer, callers.partner_a, callers.partner_b):
        stats = await _stats(client, caller)
        assert stats["suppression_threshold"] == THRESHOLD
        assert stats["total"]["count"] == 14
        regency = {c["key"]: c for c in stats["by_origin_regency"]}
        # 1 is small; the smallest other cell goes too, or 14 - 7 - x would give it away.
        assert regency["53.05"] == {"key": "53.05", "count": None, "suppressed": True}
        assert regency["53.01"] == {"key": "53.01", "count": None, "suppressed": True}
        assert regency["53.02"] == {"key": "53.02", "count": 7, "suppressed": False}
        assert _counts(stats["by_sex"]) == {"female": None, "male": None}
        assert _counts(stats["by_origin_province"]) == {"53": 14}
        assert _counts(stats["by_status"]) == {"registered": 14}


async def test_suppression_rules_hold_in_every_dimension(client, callers):
    """Whatever the data: no count 1-4 shown, and what is hidden cannot be derived from the total."""
    site = await make_site(client, callers)
    other = await make_site(client, callers, code="KX")
    origins = {"53.01": 9, "53.02": 6, "53.03": 5, "53.04": 4, "53.05": 3, "53.06": 1, "": 2}
    rows = [
        (origin, "female" if n % 3 else "male") for origin, count in origins.items() for n in range(count)
    ]
    await _import(client, callers, site["id"], rows)
    await _import(client, callers, other["id"], [("53.07", "unknown")] * 2)

    officer = await _stats(client, callers.officer)
    assert officer["total"]["count"] == 32
    assert _counts(officer["by_origin_regency"]) == {
        **{k: v for k, v in origins.items() if k},
        None: 2,
        "53.07": 2,
    }
    assert _counts(officer["by_site"]) == {site["id"]: 30, other["id"]: 2}
    for caller in (callers.viewer, callers.partner_a):
        stats = await _stats(client, caller)
        assert stats["total"]["count"] == 32
        for dimension in DIMENSIONS:
            exact = _counts(officer[dimension])
            cells = stats[dimension]
            assert {c["key"] for c in cells} == set(exact), dimension
            hidden = [c for c in cells if c["suppressed"]]
            for cell in cells:
                true = exact[cell["key"]]
                if 0 < true < THRESHOLD:
                    assert cell == {"key": cell["key"], "count": None, "suppressed": True}, (dimension, cell)
                if cell["suppressed"]:
                    assert cell["count"] is None
                else:
                    assert cell["count"] == true
            if hidden:
                hidden_sum = sum(exact[c["key"]] for c in hidden)
                assert len(hidden) >= 2, (dimension, hidden)
                assert hidden_sum >= THRESHOLD, (dimension, hidden)


@pytest.mark.parametrize("role", ["officer", "admin", "auditor"])
async def test_no_suppression_for_staff_and_auditors(client, callers, role):
    site = await make_site(client, callers)
    await _import(client, callers, site["id"], [("53.01", "female"), ("53.05", "male")])
    stats = await _stats(client, getattr(callers, role))
    assert stats["total"]["count"] == 2
    assert _counts(stats["by_origin_regency"]) == {"53.01": 1, "53.05": 1}
    assert _counts(stats["by_sex"]) == {"female": 1, "male": 1}
    assert not any(c["suppressed"] for d in DIMENSIONS for c in stats[d])
    assert stats["suppression_threshold"] is None


async def test_a_small_total_hides_everything(client, callers):
    site = await make_site(client, callers)
    await _import(client, callers, site["id"], [("53.01", "female")] * 3)
    for caller in (callers.viewer, callers.partner_b):
        stats = await _stats(client, caller)
        assert stats["total"] == {"key": "total", "count": None, "suppressed": True}
        for dimension in DIMENSIONS:
            assert all(c["count"] is None and c["suppressed"] for c in stats[dimension]), dimension
            assert stats[dimension], dimension
    assert (await _stats(client, callers.officer))["total"]["count"] == 3


async def test_statistics_of_one_site_and_of_an_empty_one(client, callers):
    site = await make_site(client, callers)
    empty = await make_site(client, callers, code="KX")
    await _import(client, callers, site["id"], [("53.01", "female")] * 6)
    # Partners and viewers get fixed tables (app.privacy.disclosure): the filter is staff's.
    refused = await client.get(STATS, params={"site_id": site["id"]}, headers=callers.viewer.headers)
    assert refused.status_code == 403 and refused.json()["type"].endswith("/filter-not-available")
    one = await _stats(client, callers.auditor, site_id=site["id"])
    assert one["total"]["count"] == 6 and _counts(one["by_site"]) == {site["id"]: 6}
    none = await _stats(client, callers.auditor, site_id=empty["id"])
    assert none["total"] == {"key": "total", "count": 0, "suppressed": False}
    assert all(none[d] == [] for d in DIMENSIONS)
