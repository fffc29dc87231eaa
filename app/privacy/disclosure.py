"""Disclosure control: every count published to partners and viewers goes through this one step.

Published method: fixed tables plus audited complementary cell suppression (the approach of
statistics offices' tau-ARGUS "audit" of a suppression pattern, here over ALL tables at once).

1. Fixed tables. Partners and viewers cannot vary what is counted: `/stats/persons` takes no
   `site_id` from them, and a simulation takes neither `site_id` nor `as_of` (a request naming one
   is refused, 403 `filter-not-available`); their simulations are evaluated on 1 January of the
   current year (WITA), so `as_of` cannot be stepped and an age or a day count reveals at most the
   year. The set of tables they can request is therefore finite and known: the total, the one-way
   tables of `/stats/persons` (province and regency nested), and for every rule set of every
   program (drafts included) its simulation: eligible, ineligible and, against the set in force,
   newly eligible and newly ineligible. For a partner, the counts of its coordination cases
   (persons it reads one by one) are published exactly.
2. One population. Every one of those counts covers the same persons: neither restricted nor
   erased. A statistics total equals every simulation total, so an erasure shows nowhere as a
   difference between two counts.
3. Suppression against the strongest adversary we can state. The persons are grouped into atoms
   (status, origin regency, domicile, site, sex, and eligibility under every rule set); the caller
   is assumed to know which atoms exist, every published count, that a hidden count is at least 1,
   and the atoms of every person any partner agency reads (referrals, cases' persons) as lower
   bounds: all controlled callers get one pattern, so comparing a viewer's tables with a
   partner's (or two partners') gives nothing. Cells with 1 to THRESHOLD-1 persons are hidden;
   then, for each hidden cell, an integer program computes the smallest and largest value
   consistent with everything above, and while some hidden cell's range is narrower than
   THRESHOLD, a further cell (the smallest of its table first) is hidden. The pattern is a function
   of the data alone, so every request answers from the same one, whatever the route.

Staff (admin, officer, auditor) get exact counts and are not routed through here. What remains
outside: two states of the data before and after one registration differ by one person, as any
exact publication does; the change shows only in cells left visible.
"""

import asyncio
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.coordination.models import Coordination
from app.coordination.queries import SHARED_STATUSES
from app.eligibility.compiler import compile_rule
from app.eligibility.facts import local_today
from app.eligibility.models import RuleSet
from app.eligibility.service import in_force
from app.errors import Forbidden
from app.persons.models import Person, Referral
from app.security.policy import Role
from app.security.principal import Actor
from app.stats.suppression import THRESHOLD

EXACT_ROLES = frozenset({Role.admin, Role.officer, Role.auditor})
STAT_TABLES = (
    "by_status",
    "by_origin_province",
    "by_origin_regency",
    "by_domicile_region",
    "by_site",
    "by_sex",
)
# How many of the smallest candidates a complement is searched among in pairs.
PAIR_SEARCH = 10
SIMULATION_CELLS = ("eligible", "ineligible", "newly_eligible", "newly_ineligible")

Key = tuple[str, str | None]  # (table, key): ("by_sex", "female"), ("sim:<rule set id>", "eligible")
Atom = tuple[Any, ...]  # (status, origin, domicile, site, sex, *eligible under each rule set)


class FilterNotAvailable(Forbidden):
    slug, title = "filter-not-available", "Filter not available for your role"


def controlled(actor: Actor) -> bool:
    """Whether the actor's counts go through disclosure control (partners and viewers)."""
    return actor.role not in EXACT_ROLES


def population() -> list[ColumnElement[bool]]:
    """The one population every controlled count describes: no restricted or erased person."""
    return [Person.restricted.is_(False), Person.erased_at.is_(None)]


def refuse_filters(**filters: object) -> None:
    """Controlled callers get fixed tables: any filter they name is refused."""
    for name, value in filters.items():
        if value is not None:
            raise FilterNotAvailable(
                f"{name} is not available to your role: counts are published as fixed tables."
            )


def fixed_as_of() -> date:
    """The one evaluation date of controlled simulations: 1 January of this year (WITA)."""
    return local_today().replace(month=1, day=1)


@dataclass
class Published:
    """The protected counts of one state of the data: None where hidden."""

    counts: dict[Key, int | None]
    compared: dict[str, str | None] = field(default_factory=dict)  # rule set -> the one in force

    def count(self, table: str, key: str | None) -> int | None:
        return self.counts.get((table, key), 0)

    def keys(self, table: str) -> list[str | None]:
        return sorted((k for t, k in self.counts if t == table), key=lambda k: k or "")


# --- the universe of published cells --------------------------------------------------------------


def _stat_keys(atom: Atom) -> list[Key]:
    status, origin, domicile, site, sex = atom[:5]
    province = None if origin is None else origin[:2]
    keys = [("total", "total"), ("by_status", status), ("by_origin_province", province)]
    keys += [("by_origin_regency", origin), ("by_domicile_region", domicile)]
    return [*keys, ("by_site", None if site is None else str(site)), ("by_sex", sex)]


def cells_of(
    atoms: list[Atom], rule_sets: list[str], compared: dict[str, str | None]
) -> dict[Key, list[int]]:
    """Every cell a controlled caller can request, as the atoms it sums (stats and simulations)."""
    position = {r: 5 + i for i, r in enumerate(rule_sets)}
    cells: dict[Key, list[int]] = {}

    def add(key: Key, index: int) -> None:
        cells.setdefault(key, []).append(index)

    for index, atom in enumerate(atoms):
        for key in _stat_keys(atom):
            add(key, index)
    for r in rule_sets:
        table, c = f"sim:{r}", compared.get(r)
        for name in SIMULATION_CELLS if c else SIMULATION_CELLS[:2]:
            cells.setdefault((table, name), [])
        for index, atom in enumerate(atoms):
            new = bool(atom[position[r]])
            add((table, "eligible" if new else "ineligible"), index)
            if c is not None and new != bool(atom[position[c]]):
                add((table, "newly_eligible" if new else "newly_ineligible"), index)
    return cells


# --- the audit --------------------------------------------------------------------------------------


@dataclass
class Audit:
    """Integer-programming bounds of hidden cells, given what the caller sees and knows."""

    cells: dict[Key, list[int]]
    sizes: np.ndarray
    known: np.ndarray
    fixed: dict[Key, int]

    def value(self, key: Key) -> int:
        return int(self.sizes[self.cells[key]].sum())

    def wide(self, target: Key, hidden: set[Key], threshold: int, with_published: bool = True) -> bool:
        """Whether the values of `target` consistent with the published cells span `threshold` or more.

        The linear relaxation (fractional persons) is solved first: it is never narrower than the
        integer program, so where it falls short the answer is no, and where its optimum is whole
        persons that is the integer program's optimum too. Only the rest needs the integer program.
        """
        problem = self._problem(target, hidden, with_published)
        # The largest value first: against the smallest conceivable (what the caller knows), it
        # often settles the answer alone.
        largest = self._solve(problem, -1, integral=False)
        if -largest[0] - self.known[self.cells[target]].sum() < threshold:
            return False
        ends = [self._solve(problem, 1, integral=False), largest]
        if _span(ends) < threshold:
            return False
        ends = [
            end if end[1] else self._solve(problem, sign, integral=True)
            for sign, end in zip((1, -1), ends, strict=True)
        ]
        return _span(ends) >= threshold

    def _problem(self, target: Key, hidden: set[Key], with_published: bool) -> tuple[np.ndarray, list, list]:
        """The objective (the target's atoms) and the rows: published cells exact, hidden ones 1 or more."""
        rows, lower, upper = [], [], []
        for key, atoms in self.cells.items():
            published = key not in hidden and (with_published or key in self.fixed)
            if published or key in hidden:
                row = np.zeros(len(self.sizes))
                row[atoms] = 1
                rows.append(row)
                value = self.value(key)
                lower.append(value if published else 1)
                upper.append(value if published else np.inf)
        objective = np.zeros(len(self.sizes))
        objective[self.cells[target]] = 1
        return objective, rows, (lower, upper)

    def _solve(self, problem: tuple, sign: int, *, integral: bool) -> tuple[float, bool]:
        """The optimum of `sign` x target (minimised), and whether it is reached with whole persons."""
        objective, rows, (lower, upper) = problem
        constraints = [LinearConstraint(np.array(rows), lower, upper)] if rows else []
        result = milp(
            sign * objective,
            constraints=constraints,
            integrality=np.full(len(objective), int(integral)),
            bounds=Bounds(self.known, np.full(len(self.known), np.inf)),
        )
        if result.status == 3 or result.x is None:  # unbounded: the range is wide
            return -np.inf, True
        return float(result.fun), integral or bool(np.allclose(result.x, np.round(result.x), atol=1e-6))


def _span(ends: list[tuple[float, bool]]) -> float:
    """Largest minus smallest value, from the minimum of the target and of its negation."""
    return -ends[1][0] - ends[0][0]


def protect(audit: Audit, threshold: int = THRESHOLD) -> set[Key]:
    """The hidden cells: primary small cells, then complements until every range is wide enough."""
    # Small cells are hidden whoever knows some of their persons: one pattern serves every caller.
    hidden = {k for k in audit.cells if k not in audit.fixed and 0 < audit.value(k) < threshold}
    hidden = _with_copies(audit, hidden)
    while True:
        weak = next((k for k in sorted(hidden, key=str) if _weak(audit, k, hidden, threshold)), None)
        if weak is None:
            return hidden
        extra = _complement(audit, weak, hidden, threshold)
        if extra is None:  # nothing left to hide: never reached while the total is published
            return hidden
        hidden = _with_copies(audit, hidden | extra)


def _with_copies(audit: Audit, hidden: set[Key]) -> set[Key]:
    """A cell counting the same persons as a hidden one (domicile = total...) is hidden too."""
    sets = {tuple(audit.cells[k]) for k in hidden}
    return hidden | {k for k, atoms in audit.cells.items() if tuple(atoms) in sets and k not in audit.fixed}


def _weak(audit: Audit, key: Key, hidden: set[Key], threshold: int) -> bool:
    """Narrower than the threshold because of what we publish (not of what the caller knows)."""
    if audit.wide(key, hidden, threshold):
        return False
    # A cell the caller's own records already pin down is not ours to protect.
    return not (audit.known.any() or audit.fixed) or audit.wide(key, set(), threshold, False)


def _candidates(audit: Audit, weak: Key, hidden: set[Key]) -> list[Key]:
    """Visible cells, smallest first: of the weak cell's table, then sharing its persons, then the rest."""
    atoms = set(audit.cells[weak])
    open_ = [k for k in audit.cells if k not in hidden and k not in audit.fixed and audit.value(k) > 0]

    def rank(k: Key) -> tuple[int, int, str]:
        place = 0 if k[0] == weak[0] else 1 if atoms & set(audit.cells[k]) else 2
        return place, audit.value(k), str(k)

    return sorted(open_, key=rank)


def _complement(audit: Audit, weak: Key, hidden: set[Key], threshold: int) -> set[Key] | None:
    """The cheapest one or two visible cells whose hiding widens `weak` enough (fewest persons hidden).

    Failing that, the cheapest cell of the weak cell's table (or any): the loop then goes on.
    """
    candidates = _candidates(audit, weak, hidden)
    cheap = sorted(candidates, key=lambda k: _cost(audit, hidden, {k}))[:PAIR_SEARCH]
    options = [{k} for k in candidates] + [set(p) for p in combinations(cheap, 2)]
    best: set[Key] | None = None
    for option in sorted(options, key=lambda o: (_cost(audit, hidden, o), sorted(map(str, o)))):
        if audit.wide(weak, _with_copies(audit, hidden | option), threshold):
            best = option
            break
    return best or ({candidates[0]} if candidates else None)


def _cost(audit: Audit, hidden: set[Key], option: set[Key]) -> int:
    return sum(audit.value(k) for k in _with_copies(audit, hidden | option) - hidden)


# --- reading the data ----------------------------------------------------------------------------


def _known_to_partners() -> ColumnElement[bool]:
    """Persons some partner agency reads one by one: active referrals, and its cases' shared persons."""
    referred = exists().where(Referral.person_id == Person.id, Referral.ended_at.is_(None))
    in_case = exists().where(
        Coordination.counterpart_agency_id.is_not(None),
        Coordination.site_id == Person.site_id,
        Coordination.region_code == Person.origin_region_code,
    )
    return or_(referred, and_(in_case, Person.status.in_(SHARED_STATUSES)))


async def _rules(session: AsyncSession, as_of: date) -> tuple[list[RuleSet], dict[str, str | None]]:
    rule_sets = list(await session.scalars(select(RuleSet).order_by(RuleSet.id)))
    current: dict[uuid.UUID, str | None] = {}
    for program_id in {r.program_id for r in rule_sets}:
        found = await in_force(session, program_id, as_of)
        current[program_id] = None if found is None else str(found.id)
    return rule_sets, {str(r.id): current[r.program_id] for r in rule_sets}


async def _atoms(
    session: AsyncSession, rule_sets: list[RuleSet], as_of: date
) -> tuple[list[Atom], list[int], list[int]]:
    """The population grouped into atoms, in one aggregate query (no person row reaches Python)."""
    flags = [case((compile_rule(r.rule, as_of), 1), else_=0).label(f"r{i}") for i, r in enumerate(rule_sets)]
    known = case((_known_to_partners(), 1), else_=0)
    dims = [Person.status, Person.origin_region_code, Person.domicile_region_code, Person.site_id, Person.sex]
    inner = select(*(d.label(f"d{i}") for i, d in enumerate(dims)), *flags, known.label("known"))
    grouped = inner.where(*population()).subquery()
    columns = [c for c in grouped.c if c.name != "known"]
    stmt = select(*columns, func.count(), func.sum(grouped.c.known)).group_by(*columns)
    rows = (await session.execute(stmt)).all()
    atoms = [tuple(row[: len(columns)]) for row in rows]
    return atoms, [row[-2] for row in rows], [int(row[-1] or 0) for row in rows]


async def _case_cells(session: AsyncSession) -> list[tuple[str, str]]:
    """The cases some partner agency is the counterpart of: their counts are read exactly."""
    cases = await session.execute(
        select(Coordination.site_id, Coordination.region_code)
        .where(Coordination.counterpart_agency_id.is_not(None))
        .distinct()
    )
    return [(str(site), region) for site, region in cases]


def _with_cases(cells: dict[Key, list[int]], atoms: list[Atom], cases: Iterable[tuple[str, str]]) -> set[Key]:
    """Add the partner's case counts (published exactly) to the universe; return their keys."""
    fixed: set[Key] = set()
    for site, region in cases:
        for status in SHARED_STATUSES:
            key = (f"case:{site}:{region}", str(status))
            cells[key] = [i for i, a in enumerate(atoms) if (str(a[3]), a[1], a[0]) == (site, region, status)]
            fixed.add(key)
    return fixed


_CACHE: dict[Any, set[Key]] = {}
# One audit at a time per worker: callers arriving while a state is audited wait for its pattern.
_AUDITING = asyncio.Lock()


async def _pattern(signature: Any, audit: Audit) -> set[Key]:
    """The hidden cells of this state of the data, audited once (in a thread) and then cached."""
    if (hidden := _CACHE.get(signature)) is not None:
        return hidden
    async with _AUDITING:
        if (hidden := _CACHE.get(signature)) is None:
            hidden = await asyncio.to_thread(protect, audit)
            if len(_CACHE) > 64:
                _CACHE.clear()
            _CACHE[signature] = hidden
    return hidden


async def publish(session: AsyncSession, actor: Actor) -> Published:
    """The protected counts partners and viewers see, for the data as it is now.

    One pattern for all of them, whoever asks: two callers (a viewer and a partner, two partners)
    comparing their tables find the same cells hidden. It is computed against what all partner
    agencies together read (lower bounds) and every case count they read exactly, so any one
    caller knows less than the audit assumed. The integer programs run in a worker thread: the
    event loop keeps serving while a new state of the data is audited.
    """
    as_of = fixed_as_of()
    rule_sets, compared = await _rules(session, as_of)
    atoms, sizes, known = await _atoms(session, rule_sets, as_of)
    names = [str(r.id) for r in rule_sets]
    cells = cells_of(atoms, names, compared)
    fixed_keys = _with_cases(cells, atoms, await _case_cells(session))
    audit = Audit(cells, np.array(sizes, dtype=float), np.array(known, dtype=float), {})
    audit.fixed = {k: audit.value(k) for k in fixed_keys}
    signature = (tuple(atoms), tuple(sizes), tuple(known), tuple(sorted(fixed_keys)), tuple(compared.items()))
    hidden = await _pattern(signature, audit)
    counts = {k: None if k in hidden else audit.value(k) for k in cells if not k[0].startswith("case:")}
    return Published(counts, compared)
