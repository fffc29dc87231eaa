"""The record of processing as the API shows it."""

from app.privacy.inventory import Erasure, Kind
from app.schemas import ResponseBody
from app.security.policy import Role


class ColumnRecord(ResponseBody):
    name: str
    kind: Kind
    readers: list[Role]
    coarsened_for: list[Role]
    erasure: Erasure
    note: str | None


class TableRecord(ResponseBody):
    name: str
    purpose: str
    belongs_to_person: bool
    erasure_note: str | None
    columns: list[ColumnRecord]


class DataClassRecord(ResponseBody):
    kind: Kind
    legal_basis: str
    retention: str


class RecordOfProcessing(ResponseBody):
    """Every table and column the system keeps, classified (UU PDP Art. 31)."""

    data_classes: list[DataClassRecord]
    tables: list[TableRecord]
