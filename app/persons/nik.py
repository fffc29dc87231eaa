"""The NIK (Nomor Induk Kependudukan): 16 digits, PPKKCC DDMMYY SSSS.

PP province, KK regency/city, CC district where the NIK was first issued (not where the person
lives); DD day of birth, plus 40 for women; MM month; YY year; SSSS a serial, never 0000.

What the registry keeps of a NIK (`stored`) is derived here too, for registration, edits and the
import alike: the ciphertext, the blind index, the last four digits and the region code.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.clock import office_today
from app.security import crypto

_NIK = re.compile(r"^\d{16}$")


@dataclass(frozen=True)
class NikFacts:
    province_code: str  # "53"
    region_code: str  # "53.71": where the NIK was first issued
    sex: str  # female | male
    birth_dates: tuple[date, ...]  # the 19YY and/or 20YY readings that are real dates


def province_code(nik: str) -> str:
    """The province where the NIK was first issued: its first two digits ("53")."""
    return nik[:2]


def region_code(nik: str) -> str:
    """The regency/city where the NIK was first issued, as region codes are written ("53.71")."""
    return f"{nik[:2]}.{nik[2:4]}"


# The person's columns a NIK fills, in the order of `stored` (and of the persons table).
STORED_COLUMNS = ("nik_ciphertext", "nik_blind_index", "nik_last4", "nik_region_code")


def stored(person_id: uuid.UUID, nik: str | None, blind_index: str | None = None) -> tuple[Any, ...]:
    """The values of STORED_COLUMNS for a person's NIK (all None without one).

    `blind_index`: the NIK's, when the caller has it already (the import computes it to find a
    NIK twice in the file).
    """
    if not nik:
        return (None, None, None, None)
    return (
        crypto.encrypt(nik, person_id, "nik"),
        blind_index or crypto.blind_index(nik),
        nik[-4:],
        region_code(nik),
    )


def decrypt(person_id: uuid.UUID, ciphertext: bytes | None) -> str | None:
    """A person's NIK from its stored ciphertext (None without one)."""
    return crypto.decrypt(ciphertext, person_id, "nik") if ciphertext else None


def _dates(day: int, month: int, yy: int) -> tuple[date, ...]:
    found = []
    for century in (1900, 2000):
        try:
            found.append(date(century + yy, month, day))
        except ValueError:
            continue
    return tuple(d for d in found if d <= office_today())


def parse(nik: str) -> NikFacts:
    """Facts in a NIK; ValueError (without the value) when it cannot be one."""
    if not _NIK.match(nik):
        raise ValueError("must be 16 digits")
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "female" if day > 40 else "male"
    if sex == "female":
        day -= 40
    if not (1 <= day <= 31) or not (1 <= month <= 12):
        raise ValueError("the date part is not a date of birth")
    dates = _dates(day, month, yy)
    if not dates:
        raise ValueError("the date part is not a real date")
    if nik[12:] == "0000":
        raise ValueError("the serial part may not be 0000")
    return NikFacts(province_code(nik), region_code(nik), sex, dates)


def disagreements(facts: NikFacts, sex: str | None, birth_date: date | None) -> list[str]:
    """Warnings where the NIK disagrees with the stated sex or birth date (accepted, not rejected)."""
    warnings = []
    if sex in ("female", "male") and sex != facts.sex:
        warnings.append("nik: the sex encoded in the NIK differs from the stated sex")
    if birth_date and birth_date not in facts.birth_dates:
        warnings.append("nik: the birth date encoded in the NIK differs from the stated birth date")
    return warnings
