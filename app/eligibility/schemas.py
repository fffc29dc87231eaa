"""Programs, rule sets, the rule grammar, and the bodies of evaluation, determinations and simulation.

The rule grammar is a pydantic discriminated union, so the OpenAPI schema describes it fully: a
node is `{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}` or a condition
`{"fact", "op", "value"}`, and conditions are a union discriminated by `fact`, each naming its
operators and value type. `check_rule` runs first and reports problems with the JSON path of the
bad node (pydantic's own locations would name union members instead).
"""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    WrapValidator,
    create_model,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.eligibility.facts import FACTS, Fact, FactType
from app.eligibility.operators import LIST_OPS, NULL_OPS, Op
from app.schemas import LINE, Line, Name, PatchBody, RequestBody, ResponseBody, ShortText, Text

MAX_DEPTH = 20
MAX_NODES = 500
MAX_LIST = 200
MAX_ERRORS = 20

BenefitKind = Literal["grant", "loan", "in_kind"]
RuleSetStatus = Literal["draft", "active", "retired"]
ProgramCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_-]{1,19}$"), LINE]
Note = Annotated[Text, StringConstraints(max_length=2000)]
Rupiah = Annotated[int, Field(ge=0, le=10**13, description="Whole rupiah.")]

Loc = tuple[str | int, ...]


# --- the grammar's own checker: JSON paths, limits, fact types ----------------------------------


class _TooBig(Exception):
    pass


class _Checker:
    """Walks a raw rule once; returns the canonical tree or collects errors located by JSON path."""

    def __init__(self) -> None:
        self.errors: list[tuple[Loc, str]] = []
        self.nodes = 0

    def fail(self, loc: Loc, msg: str) -> None:
        self.errors.append((loc, msg))
        if len(self.errors) >= MAX_ERRORS:
            raise _TooBig

    def node(self, raw: Any, loc: Loc, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.fail(loc, f"the rule has more than {MAX_NODES} nodes")
            raise _TooBig
        if depth > MAX_DEPTH:
            self.fail(loc, f"the rule is nested deeper than {MAX_DEPTH} levels")
            raise _TooBig
        if not isinstance(raw, dict):
            self.fail(loc, "must be an object with all, any, not, or fact/op/value")
            return None
        kind = next((k for k in ("all", "any", "not", "fact") if k in raw), None)
        if kind is None:
            self.fail(loc, "must have one of the keys all, any, not, fact")
            return None
        allowed = {"fact", "op", "value"} if kind == "fact" else {kind}
        for key in raw:
            if key not in allowed:
                self.fail((*loc, key), f"unknown key (a {kind} node has only {', '.join(sorted(allowed))})")
        if kind == "not":
            return {"not": self.node(raw["not"], (*loc, "not"), depth + 1)}
        if kind == "fact":
            return self.condition(raw, loc)
        children = raw[kind]
        if not isinstance(children, list):
            self.fail((*loc, kind), "must be a list of nodes")
            return None
        if not children:
            self.fail((*loc, kind), "must not be empty (an empty list would be vacuously true or false)")
            return None
        return {kind: [self.node(c, (*loc, kind, i), depth + 1) for i, c in enumerate(children)]}

    def condition(self, raw: dict[str, Any], loc: Loc) -> Any:
        fact = FACTS.get(raw["fact"]) if isinstance(raw["fact"], str) else None
        if fact is None:
            self.fail((*loc, "fact"), "unknown fact (GET /api/v1/eligibility/facts lists them)")
            return None
        if "op" not in raw:
            self.fail((*loc, "op"), "is required")
            return None
        try:
            op = Op(raw["op"])
        except ValueError:
            self.fail((*loc, "op"), f"unknown operator (one of {', '.join(o.value for o in Op)})")
            return None
        if op not in fact.operators:
            allowed = ", ".join(o.value for o in fact.operators)
            self.fail((*loc, "op"), f"{op.value} is not allowed for {fact.name} ({fact.type}): use {allowed}")
            return None
        value = self.value(fact, op, raw.get("value"), "value" in raw, (*loc, "value"))
        return {"fact": fact.name, "op": op.value} | ({} if op in NULL_OPS else {"value": value})

    def value(self, fact: Fact, op: Op, raw: Any, given: bool, loc: Loc) -> Any:
        if op in NULL_OPS:
            if raw is not None:
                self.fail(loc, f"{op.value} takes no value")
            return None
        if not given or raw is None:
            self.fail(loc, "is required")
            return None
        if op in LIST_OPS:
            if not isinstance(raw, list) or not raw:
                self.fail(loc, f"{op.value} needs a non-empty list")
                return None
            if len(raw) > MAX_LIST:
                self.fail(loc, f"at most {MAX_LIST} values")
                return None
            return [self.scalar(fact, op, item, (*loc, i)) for i, item in enumerate(raw)]
        return self.scalar(fact, op, raw, loc)

    def scalar(self, fact: Fact, op: Op, raw: Any, loc: Loc) -> Any:
        try:
            return fact.check(raw, op)
        except ValueError as exc:
            self.fail(loc, str(exc))
            return None


def check_rule(raw: Any) -> dict[str, Any]:
    """The canonical form of a rule; a ValidationError whose locations are JSON paths into it."""
    checker = _Checker()
    try:
        canonical = checker.node(raw, (), 1)
    except _TooBig:
        canonical = None
    if checker.errors:
        raise ValidationError.from_exception_data(
            "Rule",
            [
                InitErrorDetails(type=PydanticCustomError("rule", msg), loc=loc, input=None)
                for loc, msg in checker.errors
            ],
        )
    return canonical


# --- the typed union, for the schema and a second check -----------------------------------------


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True, validate_by_name=True)


def _scalar_type(fact: Fact) -> Any:
    if fact.choices:
        return Literal[fact.choices]  # type: ignore[valid-type]
    return {
        FactType.integer: int,
        FactType.boolean: bool,
        FactType.uuid: uuid.UUID,
        FactType.region_code: Line,
        FactType.province_code: Line,
        FactType.string: Line,
    }[fact.type]


def _condition_model(fact: Fact) -> type[BaseModel]:
    scalar = _scalar_type(fact)
    title = "".join(part.title() for part in fact.name.split("_")) + "Condition"
    ops = Literal[tuple(o.value for o in fact.operators)]  # type: ignore[valid-type]
    value_doc = "A list for in/not_in; nothing for is_null/not_null; otherwise one value."
    return create_model(
        title,
        __base__=_Node,
        __doc__=f"{fact.description} Type: {fact.type}.",
        fact=(Literal[fact.name], ...),  # type: ignore[valid-type]
        op=(ops, ...),
        value=(scalar | list[scalar] | None, Field(default=None, description=value_doc)),
    )


CONDITION_MODELS = [_condition_model(fact) for fact in FACTS.values()]
Condition = Annotated[Union[tuple(CONDITION_MODELS)], Field(discriminator="fact")]  # noqa: UP007


def _node_kind(value: Any) -> str | None:
    keys = value if isinstance(value, dict) else type(value).model_fields
    for key, tag in (("all", "all"), ("any", "any"), ("not_", "not"), ("not", "not"), ("fact", "condition")):
        if key in keys:
            return tag
    return None


class AllOf(_Node):
    """True when every child is true."""

    all: list["Node"] = Field(min_length=1)


class AnyOf(_Node):
    """True when at least one child is true."""

    any: list["Node"] = Field(min_length=1)


class NotOf(_Node):
    """True when the child is false."""

    not_: "Node" = Field(alias="not")


Node = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")]
    | Annotated[Condition, Tag("condition")],
    Discriminator(_node_kind),
]
for _model in (AllOf, AnyOf, NotOf):
    _model.model_rebuild()


def _checked(value: Any, handler: Any) -> Any:
    if isinstance(value, _Node):
        return value
    return handler(check_rule(value))


Rule = Annotated[Node, WrapValidator(_checked)]


def rule_json(rule: Any) -> dict[str, Any]:
    """The canonical dict of a validated rule (what is stored and hashed)."""
    return check_rule(rule.model_dump(mode="json", by_alias=True, exclude_none=True))


# --- facts --------------------------------------------------------------------------------------


class FactRead(ResponseBody):
    name: str
    type: FactType
    description: str
    operators: list[Op]
    nullable: bool = Field(description="Whether the fact can be missing (then every comparison is false).")
    values: list[str] | None = Field(description="The allowed values, for facts with a fixed set.")


# --- programs -----------------------------------------------------------------------------------


class ProgramCreate(RequestBody):
    code: ProgramCode = Field(description="Short unique code, e.g. PEM.")
    name: Name
    description: Note | None = None
    benefit_kind: BenefitKind
    benefit_amount: Rupiah | None = None
    funding_source: ShortText | None = None
    active: bool = True


class ProgramUpdate(PatchBody):
    name: Name = None
    description: Note | None = None
    benefit_kind: BenefitKind = None
    benefit_amount: Rupiah | None = None
    funding_source: ShortText | None = None
    active: bool = None


class ProgramRead(ResponseBody):
    id: uuid.UUID
    code: str
    name: str
    description: str | None
    benefit_kind: BenefitKind
    benefit_amount: int | None
    funding_source: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ProgramRef(ResponseBody):
    id: uuid.UUID
    code: str
    name: str


# --- rule sets ----------------------------------------------------------------------------------


class _Window(RequestBody):
    effective_from: date | None = Field(default=None, description="First day in force (decree).")
    effective_to: date | None = Field(default=None, description="Last day in force; open if null.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class RuleSetCreate(_Window):
    rule: Rule
    reference: ShortText | None = Field(default=None, description="The decree or legal source.")
    note: Note | None = None


class RuleSetUpdate(_Window, PatchBody):
    rule: Rule = None
    reference: ShortText | None = None
    note: Note | None = None


class RuleSetRead(ResponseBody):
    id: uuid.UUID
    program_id: uuid.UUID
    version: int = Field(description="1, 2, ... within the program.")
    status: RuleSetStatus
    effective_from: date | None
    effective_to: date | None
    reference: str | None
    note: str | None
    rule: Node
    content_hash: str = Field(description="SHA-256 of the rule's canonical JSON.")
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    activated_at: datetime | None
    activated_by: uuid.UUID | None
    retired_at: datetime | None
    revision: int = Field(description="Edit counter of a draft; the ETag.")


class RuleSetRef(ResponseBody):
    id: uuid.UUID
    version: int
    hash: str


# --- explanations -------------------------------------------------------------------------------


class _Explained(ResponseBody):
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    result: bool


class ExplainedAll(_Explained):
    all: list["Explained"]


class ExplainedAny(_Explained):
    any: list["Explained"]


class ExplainedNot(_Explained):
    not_: "Explained" = Field(alias="not")


class ExplainedCondition(_Explained):
    fact: str
    op: Op
    expected: Any = Field(description="The rule's value (null for is_null/not_null).")
    actual: Any = Field(description="The person's value; null when missing or masked.")
    masked: bool = Field(default=False, description="The actual value is not shown to this caller.")


Explained = Annotated[
    Annotated[ExplainedAll, Tag("all")]
    | Annotated[ExplainedAny, Tag("any")]
    | Annotated[ExplainedNot, Tag("not")]
    | Annotated[ExplainedCondition, Tag("condition")],
    Discriminator(_node_kind),
]
for _model in (ExplainedAll, ExplainedAny, ExplainedNot):
    _model.model_rebuild()


class EligibilityRead(ResponseBody):
    eligible: bool
    person_id: uuid.UUID = Field(description="As the caller names the person (partners: their own id).")
    program: ProgramRef
    rule_set: RuleSetRef
    dry_run: bool = Field(description="True when the rule set is a draft.")
    as_of: date
    evaluated_at: datetime
    explanation: Explained


# --- determinations -----------------------------------------------------------------------------


class RunCreate(RequestBody):
    rule_set_id: uuid.UUID | None = Field(default=None, description="Default: the set in force on as_of.")
    site_id: uuid.UUID | None = Field(default=None, description="Only the persons of this site.")
    as_of: date | None = Field(default=None, description="Default: today (WITA).")


class RunRead(ResponseBody):
    id: uuid.UUID
    number: int = Field(description="1, 2, ... within the program.")
    program_id: uuid.UUID
    rule_set: RuleSetRef
    as_of: date
    site_id: uuid.UUID | None
    evaluated_at: datetime
    decided_by: uuid.UUID | None
    previous_run_id: uuid.UUID | None = Field(
        description="The run the changes are counted against; null for the program's first run."
    )
    total: int
    eligible: int = Field(description="Eligible in this run: in the first run, everyone found eligible.")
    ineligible: int
    # A change needs a decision to change from: the first run (and a person first seen in this
    # run) counts as neither, which is what a partner's webhook and the audit expect.
    became_eligible: int = Field(
        description="Ineligible in the previous run, eligible now. 0 in the program's first run, "
        "which has nothing to compare with (see `eligible`); a person with no determination in the "
        "previous run (registered since) is counted in `eligible` only."
    )
    became_ineligible: int = Field(
        description="Eligible in the previous run, ineligible now; 0 in the first run, as `became_eligible`."
    )
    became_eligible_ids: list[uuid.UUID] | None = Field(
        default=None, description="Officers and admins only; at most 1000 (see ids_truncated)."
    )
    became_ineligible_ids: list[uuid.UUID] | None = None
    ids_truncated: bool = False


class DeterminationRead(ResponseBody):
    run_id: uuid.UUID
    person_id: uuid.UUID
    program_id: uuid.UUID
    eligible: bool
    rule_set: RuleSetRef
    as_of: date
    evaluated_at: datetime
    decided_by: uuid.UUID | None
    facts: dict[str, Any] = Field(description="The fact values the decision used.")


Change = Literal["became_eligible", "became_ineligible"]


# --- simulation ---------------------------------------------------------------------------------


class SimulationRequest(RequestBody):
    site_id: uuid.UUID | None = None
    as_of: date | None = Field(default=None, description="Default: today (WITA).")


class SimulationRead(ResponseBody):
    """Counts are null when suppressed (partners and viewers: small counts are hidden)."""

    rule_set: RuleSetRef
    compared_with: RuleSetRef | None = Field(description="The set in force on as_of; null if none.")
    as_of: date
    site_id: uuid.UUID | None
    total: int | None
    eligible: int | None
    ineligible: int | None
    newly_eligible: int | None = Field(description="Eligible under this set, not under the one in force.")
    newly_ineligible: int | None = Field(description="Eligible under the one in force, not under this set.")
    newly_eligible_ids: list[uuid.UUID] | None = Field(default=None, description="Officers and admins only.")
    newly_ineligible_ids: list[uuid.UUID] | None = None
    ids_truncated: bool = False
    suppression_threshold: int | None = None
