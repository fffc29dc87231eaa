"""The record of processing: what personal data the system keeps, why, for how long, who reads it."""

from fastapi import APIRouter

from app.privacy import service
from app.privacy.schemas import RecordOfProcessing
from app.security.deps import Permitted

router = APIRouter(prefix="/privacy", tags=["privacy"])


@router.get("/inventory")
async def read_inventory(actor: Permitted("privacy:read")) -> RecordOfProcessing:
    """Every table and column, classified: kind of data, legal basis, retention, readers, erasure."""
    return service.record_of_processing()
