"""Lists are {items, next_cursor}: keyset pages, signed cursors, limits 1..200 (default 50)."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from app.agencies.models import Agency
from tests.factories import make_agency
from tests.platform import AGENCIES, assert_problem, error_locs


async def _add_agencies(session, n: int) -> None:
    for i in range(n):
        await make_agency(session, f"Lembaga Uji Halaman {i:03d}")
    await session.commit()


async def _all_ids(session) -> list[str]:
    """Every agency id in keyset order (ids are UUIDs, compared as 128-bit numbers)."""
    ids = (await session.scalars(select(Agency.id))).all()
    await session.rollback()
    return [str(i) for i in sorted(ids)]


async def _walk(client, headers, limit: int, **params) -> list[list[str]]:
    """The ids of every page of the agency list, following next_cursor to the end."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {"limit": limit, **params} | ({"cursor": cursor} if cursor else {})
        response = await client.get(AGENCIES, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "the cursor never ends"


def _flip(text: str, index: int) -> str:
    """`text` with the character at `index` changed in its top bit, which base64 always decodes."""
    replacement = "g" if text[index] == "A" else "A"  # 0 and 32: they differ in the high bit
    return text[:index] + replacement + text[index + 1 :]


async def test_walking_pages_returns_every_agency_once_in_order(client, callers, session):
    await _add_agencies(session, 5)
    expected = await _all_ids(session)
    assert len(expected) == 7  # the callers' two agencies and five more

    pages = await _walk(client, callers.viewer.headers, limit=2)

    assert [len(page) for page in pages] == [2, 2, 2, 1]
    walked = [agency_id for page in pages for agency_id in page]
    assert walked == expected


async def test_last_full_page_has_no_cursor(client, callers, session):
    await _add_agencies(session, 2)  # four in all: two full pages of two, then nothing
    pages = await _walk(client, callers.viewer.headers, limit=2)
    assert [len(page) for page in pages] == [2, 2]


async def test_default_limit_is_50(client, callers, session):
    await _add_agencies(session, 49)  # 51 in all
    response = await client.get(AGENCIES, headers=callers.viewer.headers)
    assert response.status_code == 200
    first = response.json()
    assert len(first["items"]) == 50
    assert first["next_cursor"]
    rest = await client.get(AGENCIES, params={"cursor": first["next_cursor"]}, headers=callers.viewer.headers)
    assert [item["id"] for item in rest.json()["items"]] == (await _all_ids(session))[50:]
    assert rest.json()["next_cursor"] is None


@pytest.mark.parametrize("limit", [1, 200])
async def test_limit_bounds_are_accepted(client, callers, limit):
    response = await client.get(AGENCIES, params={"limit": limit}, headers=callers.viewer.headers)
    assert response.status_code == 200
    assert len(response.json()["items"]) == min(limit, 2)


async def test_limit_out_of_range_is_422(client, callers, subtests):
    for limit in ["0", "201", "-1", "abc", "1.5", ""]:
        with subtests.test(limit=limit):
            response = await client.get(AGENCIES, params={"limit": limit}, headers=callers.viewer.headers)
            assert error_locs(assert_problem(response, 422)) == [["query", "limit"]]


async def test_tampered_cursor_is_422(client, callers, subtests):
    """Whatever its format, a cursor changed anywhere is refused, not followed and not a 500."""
    first = await client.get(AGENCIES, params={"limit": 1}, headers=callers.viewer.headers)
    cursor = first.json()["next_cursor"]
    # Only characters of complete 4-character base64 groups: all their bits reach the bytes.
    full = len(cursor) - len(cursor) % 4
    assert full >= 8
    tampered = {
        "first character": _flip(cursor, 0),
        "middle character": _flip(cursor, full // 2),
        "last full character": _flip(cursor, full - 1),
        "cut short": cursor[: full - 4],
        "one character longer": cursor + "A",
        "doubled": cursor + cursor,
        "reversed": cursor[::-1],
    }
    for what, bad in tampered.items():
        with subtests.test(what=what):
            assert bad != cursor
            response = await client.get(AGENCIES, params={"cursor": bad}, headers=callers.viewer.headers)
            assert error_locs(assert_problem(response, 422)) == [["query", "cursor"]]
    # The genuine cursor still works.
    assert (await client.get(AGENCIES, params={"cursor": cursor}, headers=callers.viewer.headers)).is_success


async def test_garbage_cursor_is_422(client, callers, subtests):
    for garbage in ["garbage", "x.y", "...", "é.ü", "\x00", "eyJhIjoiMSJ9.AAAAAAAAAAAAAAAA", "A" * 513, " "]:
        with subtests.test(cursor=garbage):
            response = await client.get(AGENCIES, params={"cursor": garbage}, headers=callers.viewer.headers)
            assert error_locs(assert_problem(response, 422)) == [["query", "cursor"]]


async def test_cursor_of_another_list_is_422(client, callers):
    """A genuine cursor of the region list (keyed by code, not UUID) is refused by the agency list."""
    regions = await client.get("/api/v1/regions", params={"limit": 1}, headers=callers.viewer.headers)
    cursor = regions.json()["next_cursor"]
    assert cursor
    response = await client.get(AGENCIES, params={"cursor": cursor}, headers=callers.viewer.headers)
    assert error_locs(assert_problem(response, 422)) == [["query", "cursor"]]


async def test_updated_since_returns_only_later_changes(client, callers, session):
    await _add_agencies(session, 3)
    old = datetime(2020, 1, 1, tzinfo=UTC)
    boundary = datetime(2022, 6, 1, tzinfo=UTC)
    ids = await _all_ids(session)
    await session.execute(update(Agency).values(updated_at=old))
    await session.execute(update(Agency).where(Agency.id == uuid.UUID(ids[1])).values(updated_at=boundary))
    await session.commit()
    renamed = await client.patch(
        f"{AGENCIES}/{ids[3]}",
        json={"acronym": "BARU"},
        headers=callers.officer.headers | {"If-Match": '"1"'},
    )
    assert renamed.status_code == 200, renamed.text

    # The same instant as the boundary, written in WITA (UTC+8): "at or after" includes it.
    pages = await _walk(client, callers.viewer.headers, limit=50, updated_since="2022-06-01T08:00:00+08:00")
    assert pages == [[ids[1], ids[3]]]
    later = await _walk(client, callers.viewer.headers, limit=1, updated_since="2022-06-01T00:00:01Z")
    assert later == [[ids[3]]]


async def test_bad_updated_since_is_422(client, callers, subtests):
    """Garbage and timestamps without an offset (ambiguous instants) are refused."""
    for since in ["yesterday", "2024-13-01T00:00:00Z", "2024-01-01T00:00:00", "2024-01-01"]:
        with subtests.test(since=since):
            params = {"updated_since": since}
            response = await client.get(AGENCIES, params=params, headers=callers.viewer.headers)
            assert error_locs(assert_problem(response, 422)) == [["query", "updated_since"]]
