"""eligibility determinations: no per-row foreign keys, no person index (bulk runs)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 00:00:00

A run writes one row per person in scope (1M rows for 1M persons). PostgreSQL checks a foreign key
row by row (an index probe and, for persons, a row lock that dirties every persons page), and the
(person_id, run_id) index takes each new entry in the middle of the person's history. At 1M
persons that was 11-25 s of the run's INSERT against 4.6 s without them (bench/results/NOTES.md).
The only writer is the run's INSERT ... SELECT from persons in the transaction that creates the
run, and neither persons nor runs are ever deleted, so the references hold by construction. Per
person reads go through the program's runs and the primary key (run_id, person_id).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "eligibility_determinations"
PERSON_FK = "fk_eligibility_determinations_person_id_persons"
RUN_FK = "fk_eligibility_determinations_run_id_eligibility_runs"
PERSON_INDEX = "ix_eligibility_determinations_person"


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(PERSON_INDEX)
        batch_op.drop_constraint(PERSON_FK, type_="foreignkey")
        batch_op.drop_constraint(RUN_FK, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_foreign_key(RUN_FK, "eligibility_runs", ["run_id"], ["id"])
        batch_op.create_foreign_key(PERSON_FK, "persons", ["person_id"], ["id"])
        batch_op.create_index(PERSON_INDEX, ["person_id", "run_id"], unique=False)
