"""One rule, two back ends: on random rules and random persons, Python and SQL decide alike.

Hypothesis drives a synchronous test (its @given does not run coroutines), which runs each
example on an event loop of its own against the backend's database. Every example inserts its
persons and census rounds, compares, and deletes them again (PostgreSQL's database is shared).
"""

import asyncio
import itertools
import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from app.censuses.models import CensusObservation, CensusRound
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.eligibility import evaluation
from app.eligibility.compiler import compile_rule, facts_object
from app.eligibility.evaluator import evaluate
from app.eligibility.facts import FACTS, Fact, FactType
from app.eligibility.operators import LIST_OPS, NULL_OPS, Op
from app.eligibility.schemas import MAX_DEPTH, check_rule
from app.persons.models import Person
from app.persons.transitions import Status
from app.sites.models import Site

REGIONS = [None, "53.71", "53.01", "53.05", "52.71", "31.71"]
NIK_REGIONS = [None, "53.71", "53.10", "52.01"]
PREFIXES = ["5", "53", "53.", "53.7", "53.71", "52", "3"]
PROVINCES = ["53", "52", "31", "11"]
ROUND_DAYS = [date(2018, 10, 30), date(2018, 11, 20), date(2019, 1, 15)]
SEQUENCE = itertools.count(1)


def _moments() -> st.SearchStrategy[datetime]:
    """Timestamps, often right at the edge of a WITA day (16:00 UTC)."""
    edge = st.builds(
        lambda d, t: datetime.combine(d, t, UTC),
        st.dates(date(2018, 1, 1), date(2026, 12, 31)),
        st.sampled_from([time(15, 59, 59, 999999), time(16, 0), time(0, 0), time(23, 59, 59)]),
    )
    anywhere = st.datetimes(datetime(2018, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC))
    return st.one_of(edge, anywhere)


def _birth_dates() -> st.SearchStrategy[date | None]:
    special = st.sampled_from([date(2000, 2, 29), date(1996, 2, 29), date(1990, 3, 1), date(1990, 2, 28)])
    return st.one_of(st.none(), special, st.dates(date(1940, 1, 1), date(2012, 12, 31)))


def _scalar(fact: Fact, op: Op, site_ids: list[str]) -> st.SearchStrategy[Any]:
    if op is Op.starts_with:
        return st.sampled_from(PREFIXES)
    if fact.choices:
        return st.sampled_from(fact.choices)
    return {
        FactType.integer: st.integers(-400, 4000) if fact.name.startswith("days") else st.integers(-2, 90),
        FactType.boolean: st.booleans(),
        FactType.uuid: st.sampled_from([*site_ids, str(uuid.UUID(int=1))]),
        FactType.region_code: st.sampled_from([r for r in REGIONS + NIK_REGIONS if r]),
        FactType.province_code: st.sampled_from(PROVINCES),
    }[fact.type]


def _leaf(site_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    def for_op(fact: Fact, op: Op) -> st.SearchStrategy[dict[str, Any]]:
        node = {"fact": fact.name, "op": op.value}
        if op in NULL_OPS:
            return st.just(node)
        scalar = _scalar(fact, op, site_ids)
        value = st.lists(scalar, min_size=1, max_size=3) if op in LIST_OPS else scalar
        return value.map(lambda v: node | {"value": v})

    facts = st.sampled_from(list(FACTS.values()))
    return facts.flatmap(lambda f: st.sampled_from(f.operators).flatmap(lambda op: for_op(f, op)))


def _depth(node: dict[str, Any]) -> int:
    children = [*node.get("all", ()), *node.get("any", ()), *([node["not"]] if "not" in node else [])]
    return 1 + max(map(_depth, children), default=0)


def rules(site_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    def extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        return st.one_of(
            st.lists(children, min_size=1, max_size=3).map(lambda xs: {"all": xs}),
            st.lists(children, min_size=1, max_size=3).map(lambda xs: {"any": xs}),
            children.map(lambda c: {"not": c}),
        )

    trees = st.recursive(_leaf(site_ids), extend, max_leaves=8)
    return trees.filter(lambda r: _depth(r) <= MAX_DEPTH).map(check_rule)


people = st.lists(
    st.fixed_dictionaries(
        {
            "site": st.integers(0, 1),
            "status": st.sampled_from([s.value for s in Status]),
            "sex": st.sampled_from(FACTS["sex"].choices),
            "identity_document": st.sampled_from(FACTS["identity_document"].choices),
            "birth_date": _birth_dates(),
            "domicile_region_code": st.sampled_from(REGIONS),
            "origin_region_code": st.sampled_from(REGIONS),
            "nik_region_code": st.sampled_from(NIK_REGIONS),
            "has_nik": st.booleans(),
            "identity_verified": st.booleans(),
            "created_at": _moments(),
            "status_changed_at": _moments(),
            # Presence in the site's rounds, by round index.
            "seen": st.dictionaries(st.integers(0, 3), st.sampled_from(["present", "absent"]), max_size=3),
        }
    ),
    min_size=1,
    max_size=6,
)
# Per site: rounds on a few shared days (ties are broken by id, which hypothesis draws).
census_rounds = st.lists(
    st.lists(st.tuples(st.sampled_from(ROUND_DAYS), st.uuids()), max_size=4, unique_by=lambda r: r[1]),
    min_size=2,
    max_size=2,
)
as_of_dates = st.one_of(
    st.dates(date(2017, 6, 1), date(2030, 12, 31)),
    st.sampled_from(ROUND_DAYS),
    st.sampled_from([date(2018, 2, 28), date(2018, 3, 1), date(2020, 2, 29)]),
)


class Harness:
    """An engine and two sites of the test's own, on a loop of its own."""

    def __init__(self, database_url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.engine = create_engine(Settings(database_url=database_url))
        self.sessions = create_sessionmaker(self.engine)
        self.dialect = self.engine.dialect.name
        self.sites = [uuid.uuid4(), uuid.uuid4()]
        self.run(self._add_sites())

    def run(self, work: Any) -> Any:
        return self.loop.run_until_complete(work)

    async def _add_sites(self) -> None:
        async with self.sessions() as session:
            for site_id in self.sites:
                code = f"HY{uuid.uuid4().hex[:6].upper()}"
                session.add(Site(id=site_id, name="Lokasi Uji Hipotesis", code=code, region_code="53.71"))
            await session.commit()

    async def _remove_sites(self) -> None:
        async with self.sessions() as session:
            await session.execute(delete(Site).where(Site.id.in_(self.sites)))
            await session.commit()

    def close(self) -> None:
        self.run(self._remove_sites())
        self.run(self.engine.dispose())
        self.loop.close()

    async def check(
        self, rule: dict[str, Any], persons: list[dict[str, Any]], rounds: list[Any], as_of: date
    ):
        person_ids, round_ids = await self._insert(persons, rounds)
        try:
            await self._compare(rule, person_ids, as_of)
        finally:
            async with self.sessions() as session:
                await session.execute(
                    delete(CensusObservation).where(CensusObservation.census_id.in_(round_ids))
                )
                await session.execute(delete(CensusRound).where(CensusRound.id.in_(round_ids)))
                await session.execute(delete(Person).where(Person.id.in_(person_ids)))
                await session.commit()

    async def _insert(self, persons: list[dict[str, Any]], rounds: list[Any]) -> tuple[list, list]:
        async with self.sessions() as session:
            site_rounds = []
            for site_id, drawn in zip(self.sites, rounds, strict=True):
                ids = []
                for held_on, round_id in drawn:
                    session.add(CensusRound(id=round_id, site_id=site_id, name=round_id.hex, held_on=held_on))
                    ids.append(round_id)
                site_rounds.append(ids)
            await session.flush()
            person_ids = []
            for drawn in persons:
                values = dict(drawn)
                site_index, seen, has_nik = values.pop("site"), values.pop("seen"), values.pop("has_nik")
                seq = next(SEQUENCE)
                person = Person(
                    site_id=self.sites[site_index],
                    registration_seq=seq,
                    registration_number=f"HY-{seq:06d}",
                    full_name="Warga Uji Hipotesis",
                    legal_basis="public_task",
                    nik_blind_index=uuid.uuid4().hex if has_nik else None,
                    **values,
                )
                session.add(person)
                await session.flush()
                person_ids.append(person.id)
                own_rounds = site_rounds[site_index]
                for index, presence in seen.items():
                    if index < len(own_rounds):
                        session.add(
                            CensusObservation(
                                census_id=own_rounds[index], person_id=person.id, presence=presence
                            )
                        )
            await session.commit()
        return person_ids, [r for ids in site_rounds for r in ids]

    async def _compare(self, rule: dict[str, Any], person_ids: list[uuid.UUID], as_of: date) -> None:
        condition = compile_rule(rule, as_of)
        async with self.sessions() as session:
            where = set(await session.scalars(select(Person.id).where(Person.id.in_(person_ids), condition)))
            in_example = Person.id.in_(person_ids)
            selected = dict((await session.execute(select(Person.id, condition).where(in_example))).all())
            facts = facts_object(list(FACTS), as_of, self.dialect)
            sql_facts = dict((await session.execute(select(Person.id, facts).where(in_example))).all())
            for person in await session.scalars(select(Person).where(Person.id.in_(person_ids))):
                python_facts = await evaluation.person_facts(session, person, as_of)
                from_sql = {name: FACTS[name].canonical_actual(v) for name, v in sql_facts[person.id].items()}
                assert from_sql == python_facts, (as_of, from_sql, python_facts)
                decided = evaluate(rule, python_facts)
                assert (person.id in where) == decided, (rule, python_facts)
                assert bool(selected[person.id]) == decided, (rule, python_facts)
            await session.rollback()


def test_python_and_sql_agree_on_random_rules_and_persons(backend):
    harness = Harness(backend.fresh_url())
    site_ids = [str(s) for s in harness.sites]
    try:

        @settings(
            max_examples=60,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(rule=rules(site_ids), persons=people, rounds=census_rounds, as_of=as_of_dates)
        def agree(rule, persons, rounds, as_of) -> None:
            harness.run(harness.check(rule, persons, rounds, as_of))

        agree()
    finally:
        harness.close()


def test_the_generated_rules_cover_every_fact_and_operator():
    """The property above is only as good as its rules: check that they reach the whole grammar."""
    seen: set[tuple[str, str]] = set()

    @settings(max_examples=400, derandomize=True, database=None, deadline=None)
    @given(rule=rules([str(uuid.UUID(int=2))]))
    def collect(rule) -> None:
        stack = [rule]
        while stack:
            node = stack.pop()
            if "fact" in node:
                seen.add((node["fact"], node["op"]))
            stack += [*node.get("all", ()), *node.get("any", ()), *([node["not"]] if "not" in node else [])]

    collect()
    every = {(f.name, op.value) for f in FACTS.values() for op in f.operators}
    assert len(seen) >= 0.8 * len(every), sorted(every - seen)
    assert {fact for fact, _ in seen} == set(FACTS)
