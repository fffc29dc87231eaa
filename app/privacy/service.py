"""Reads derived from the inventory: the data subject's rows in every table, the record of processing."""

import uuid
from typing import Any

from sqlalchemy import LargeBinary, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Base
from app.privacy.inventory import INVENTORY, NOBODY, RECORD_OF_PROCESSING, Column, Kind
from app.privacy.schemas import ColumnRecord, DataClassRecord, RecordOfProcessing, TableRecord


def _exported(classified: Column, column: Any) -> bool:
    """In the data subject's copy: everything about them but credentials, internal keys and ciphertext.

    Encrypted columns (NIK, KK) are in the copy's `person` view, decrypted.
    """
    if classified.kind is Kind.credential or classified.readers == NOBODY:
        return False
    return not isinstance(column.type, LargeBinary)


async def subject_rows(session: AsyncSession, person_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """Every row the inventory links to the person, table by table (the data subject's copy)."""
    copy: dict[str, list[dict[str, Any]]] = {}
    for name, entry in INVENTORY.items():
        table = Base.metadata.tables.get(name)
        if table is None or entry.link is None or not entry.export:
            continue
        columns = [table.c[c] for c, classified in entry.columns.items() if _exported(classified, table.c[c])]
        rows = (await session.execute(select(*columns).where(entry.link(table, person_id)))).mappings().all()
        if rows:
            # Column names can be str subclasses (quoted_name), which JSON encoders refuse as keys.
            copy[name] = [{str(key): value for key, value in row.items()} for row in rows]
    return copy


def record_of_processing() -> RecordOfProcessing:
    """The inventory as the UU PDP record of processing."""
    return RecordOfProcessing(
        data_classes=[
            DataClassRecord(kind=kind, legal_basis=basis.legal_basis, retention=basis.retention)
            for kind, basis in RECORD_OF_PROCESSING.items()
        ],
        tables=[
            TableRecord(
                name=name,
                purpose=entry.purpose,
                belongs_to_person=entry.link is not None,
                erasure_note=entry.erasure_note or None,
                columns=[
                    ColumnRecord(
                        name=column_name,
                        kind=c.kind,
                        readers=sorted(c.readers),
                        coarsened_for=sorted(c.coarse),
                        erasure=c.erasure,
                        note=c.note or None,
                    )
                    for column_name, c in entry.columns.items()
                ],
            )
            for name, entry in INVENTORY.items()
        ],
    )
