"""The demo scenario as data: the article's agencies, meetings and counts, and 145 synthetic persons.

What the Pos Kupang report of 26 Oct 2018 says is kept: the agencies, the rakor of 30 Oct 2018 in
Ruang Garuda, Balai Kota Kupang, the outreach that counts again, 145 persons in the first count,
11 of them from NTT, 3 residents of Kota Kupang, and the PEM fund. Everything else is invented:
the persons ("Warga Demo 001"...), their origins, birth dates and statuses, the NGO, and every
date after 30 Oct 2018. NIKs use serials 9001-9145, which mark test data.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.agencies.schemas import AgencyKind
from app.persons.transitions import Status

SEED = 20181026  # the date of the report: the same persons on every run
WITA = ZoneInfo("Asia/Makassar")
KOTA_KUPANG = "53.71"
SITE_CODE = "KD"
# The site's notes begin with this: how a second run knows the demo is already there.
MARKER = "Demo data (python -m app demo)"

SITE = {
    "name": "Karang Dempel",
    "code": SITE_CODE,
    "region_code": KOTA_KUPANG,
    "address": "Kelurahan Alak, Kecamatan Alak, Kota Kupang",
    "status": "closing",
    "closure_announced_on": date(2018, 10, 26),
    "notes": (
        f"{MARKER}: synthetic persons, invented dates after 30 Oct 2018. "
        "Source of the story: Pos Kupang, 26 Oct 2018, 'Tutup Lokalisasi KD!'."
    ),
}


@dataclass(frozen=True)
class AgencySpec:
    key: str
    name: str
    acronym: str
    kind: AgencyKind
    region_code: str = KOTA_KUPANG


AGENCIES = (
    AgencySpec("dinsos", "Dinas Sosial Kota Kupang", "Dinsos", "government"),
    AgencySpec("satpolpp", "Satuan Polisi Pamong Praja Kota Kupang", "Satpol PP", "government"),
    AgencySpec("dispar", "Dinas Pariwisata Kota Kupang", "Dispar", "government"),
    AgencySpec("dinkes", "Dinas Kesehatan Kota Kupang", "Dinkes", "government"),
    AgencySpec("kpa", "Komisi Penanggulangan AIDS Kota Kupang", "KPA", "government"),
    # The report names no NGO: this one is invented, and says so.
    AgencySpec("ngo", "LSM Demo Peduli Perempuan", "LSM Demo", "ngo"),
    AgencySpec("polri", "Kepolisian Resor Kupang Kota", "Polres Kupang Kota", "police"),
    # The origin region's social office: the counterpart of one coordination case.
    AgencySpec("dinsos_kab", "Dinas Sosial Kabupaten Kupang", "Dinsos Kab. Kupang", "government", "53.01"),
)
# The agencies that work at the site with Dinas Sosial (the rakor's and the outreach's participants).
PARTNERS_ON_SITE = ("satpolpp", "dispar", "dinkes", "kpa", "ngo", "polri")


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=WITA)


RAKOR_DAY = date(2018, 10, 30)
OUTREACH_DAY = date(2018, 11, 6)  # invented: "after the rakor"
INITIAL_CENSUS_DAY = date(2018, 10, 22)  # invented: the "pendataan awal" before the report

RAKOR = {
    "kind": "coordination",
    "title": "Rapat koordinasi penutupan lokalisasi Karang Dempel",
    "description": "Rakor Pemerintah Kota Kupang dengan OPD terkait, LSM dan Polri tentang rencana "
    "penutupan lokalisasi Karang Dempel.",
    "starts_at": _at(RAKOR_DAY, 9),
    "ends_at": _at(RAKOR_DAY, 12),
    "location": "Ruang Garuda, Balai Kota Kupang",
    "minutes": (
        "## Rakor penutupan lokalisasi Karang Dempel\n\n"
        "- Pendataan awal: 145 orang; 11 orang asal NTT; 3 orang warga Kota Kupang.\n"
        "- Sosialisasi di lokasi bersama Satpol PP, Dinas Pariwisata, Dinas Kesehatan, KPA dan OPD "
        "terkait, dengan pengecekan dan pendataan akhir.\n"
        "- Koordinasi dengan daerah asal agar pemulangan lebih mudah pasca penutupan.\n"
        "- Dana PEM hanya untuk warga Kota Kupang.\n"
    ),
}
OUTREACH = {
    "kind": "outreach",
    "title": "Sosialisasi penutupan dan pendataan akhir di Karang Dempel",
    "description": "Sosialisasi bagi warga lokalisasi, dengan pengecekan dan pendataan akhir.",
    "starts_at": _at(OUTREACH_DAY, 9),
    "ends_at": _at(OUTREACH_DAY, 13),
    "location": "Lokalisasi Karang Dempel, Kelurahan Alak",
}

# (title, outcome) of the rakor's agenda, in order.
AGENDA = (
    ("Rencana penutupan lokalisasi Karang Dempel", "Penutupan disepakati; Dinas Sosial memimpin."),
    (
        "Sosialisasi dan pendataan akhir di lokasi",
        "Sosialisasi bersama Satpol PP, Dinas Pariwisata, Dinas Kesehatan dan KPA; "
        "pendataan awal: 145 orang.",
    ),
    (
        "Koordinasi dengan daerah asal dan pemulangan",
        "Pemerintah kota berkoordinasi dengan daerah asal; 11 orang asal NTT dipulangkan ke daerahnya.",
    ),
    ("Dana PEM bagi warga Kota Kupang", "Dana PEM hanya untuk warga kota; pendataan identitas: 3 orang."),
)


@dataclass(frozen=True)
class ActionSpec:
    title: str
    assignee: str
    agenda_number: int
    due_on: date
    status: str


ACTIONS = (
    ActionSpec("Sosialisasi penutupan di lokalisasi Karang Dempel", "dinsos", 2, OUTREACH_DAY, "done"),
    ActionSpec("Pendataan akhir dan pengecekan identitas", "dinsos", 2, OUTREACH_DAY, "done"),
    ActionSpec("Pengamanan selama sosialisasi", "polri", 2, OUTREACH_DAY, "done"),
    ActionSpec("Penertiban kawasan pasca penutupan", "satpolpp", 1, date(2018, 12, 31), "open"),
    ActionSpec("Pemeriksaan kesehatan saat sosialisasi", "dinkes", 2, OUTREACH_DAY, "done"),
    ActionSpec("Konseling dan rujukan layanan HIV", "kpa", 2, date(2018, 11, 30), "in_progress"),
    ActionSpec("Pendampingan warga menjelang pemulangan", "ngo", 3, date(2018, 11, 30), "in_progress"),
    ActionSpec("Surat koordinasi ke daerah asal", "dinsos", 3, date(2018, 11, 16), "in_progress"),
    ActionSpec("Penetapan penerima dana PEM (warga Kota Kupang)", "dinsos", 4, date(2018, 11, 30), "open"),
)

INITIAL_CENSUS = ("Pendataan awal", INITIAL_CENSUS_DAY)
FINAL_CENSUS = ("Pendataan akhir", OUTREACH_DAY)  # during the outreach

# When each status change of the scenario happened (the registry's occurred_on).
STATUS_DAYS: dict[Status, date] = {
    Status.verified: date(2018, 10, 24),
    Status.returned_independently: date(2018, 11, 3),
    Status.not_located: OUTREACH_DAY,
    Status.declined: date(2018, 11, 7),
    Status.staying: date(2018, 11, 7),
    Status.awaiting_return: date(2018, 11, 8),
}
STATUS_REASONS: dict[Status, str] = {
    Status.verified: "identitas dicek (KTP)",
    Status.returned_independently: "pulang sendiri sebelum penutupan",
    Status.not_located: "tidak ditemukan saat pendataan akhir",
    Status.declined: "menolak dipulangkan",
    Status.staying: "tetap tinggal di Kota Kupang",
    Status.awaiting_return: "siap dipulangkan ke daerah asal",
}

# The PEM what-if: a draft that would also pay residents of Kabupaten Kupang (simulate it).
PEM_DRAFT = {
    "effective_from": "2018-10-26",
    "reference": "Simulasi: dana PEM juga untuk warga Kabupaten Kupang",
    "note": "Demo draft, never activated: what if the fund also covered Kabupaten Kupang (53.01)?",
    "rule": {
        "all": [
            {"fact": "domicile_region_code", "op": "in", "value": [KOTA_KUPANG, "53.01"]},
            {"fact": "identity_verified", "op": "eq", "value": True},
            {"fact": "status", "op": "not_in", "value": ["not_located", "declined"]},
        ]
    },
}

# The one coordination case worked in the demo: Kabupaten Kupang, with a planned batch home.
BATCH_REGION = "53.01"
CORRESPONDENCE = {
    "direction": "outgoing",
    "channel": "letter",
    "reference_number": "DEMO/460/2018/001",
    "dated_on": date(2018, 11, 8),
    "subject": "Koordinasi pemulangan warga asal Kabupaten Kupang",
}
BATCH = {
    "leg": "direct",
    "planned_departure_on": date(2018, 11, 20),
    "transport_mode": "land",
    "funding_source": "apbd_kota",
    "notes": "Demo: walk it through depart, arrive and handover.",
}


# --- persons ------------------------------------------------------------------------------

S = Status


@dataclass(frozen=True)
class PersonSpec:
    """One synthetic person: where from, and the status changes after `registered`."""

    number: int
    origin: str
    birth_date: date
    path: tuple[Status, ...]
    present_at_final: bool
    referred: bool = False
    city_resident: bool = False
    in_batch: bool = False

    @property
    def full_name(self) -> str:
        return f"Warga Demo {self.number:03d}"

    @property
    def alias(self) -> str:
        return f"Demo-{self.number:03d}"

    @property
    def verified(self) -> bool:
        """Identity checked (a KTP seen): everyone whose path passes `verified`."""
        return S.verified in self.path

    @property
    def domicile(self) -> str | None:
        """The KTP address: the city for its residents, else home; unknown until a KTP is seen."""
        if self.city_resident:
            return KOTA_KUPANG
        return self.origin if self.verified else None

    @property
    def nik(self) -> str | None:
        """A NIK issued where the KTP says the person lives; serial 9xxx marks it synthetic."""
        if self.domicile is None:
            return None
        code = self.domicile.replace(".", "")
        born = self.birth_date
        return f"{code}01{born.day + 40:02d}{born.month:02d}{born.year % 100:02d}{9000 + self.number:04d}"

    def person_body(self, site_id: Any) -> dict[str, Any]:
        """The PersonCreate fields."""
        body: dict[str, Any] = {
            "site_id": site_id,
            "full_name": self.full_name,
            "alias": self.alias,
            "sex": "female",
            "birth_date": self.birth_date,
            "origin_region_code": self.origin,
            "domicile_region_code": self.domicile,
            "nik": self.nik,
            "identity_document": "ktp" if self.verified else "none",
            "identity_verified": self.verified,
            "legal_basis": "public_task",
        }
        if self.city_resident:
            # PEM applicants sign a consent form.
            body |= {"legal_basis": "consent", "consent_at": _at(OUTREACH_DAY, 10)}
        return body


@dataclass(frozen=True)
class _Group:
    origins: tuple[str, ...]  # cycled through, one per person
    count: int
    path: tuple[Status, ...]
    present: bool = True
    referred: bool = False
    city_resident: bool = False
    in_batch: bool = False


# The 11 persons from NTT (province 53): 3 living in Kota Kupang, 8 to be sent home.
NTT_GROUPS = (
    _Group(("53.01", "53.14", "53.02"), 3, (S.verified, S.staying), referred=True, city_resident=True),
    _Group(("53.01",), 3, (S.verified,), referred=True, in_batch=True),
    _Group(("53.14",), 2, (S.verified, S.awaiting_return), referred=True),
    _Group(("53.05",), 1, (S.verified,)),
    _Group(("53.05",), 1, (S.verified, S.awaiting_return)),
    _Group(("53.02",), 1, (S.returned_independently,), present=False),
)
# The other 134, by province of origin, with a few regencies each.
OTHER_ORIGINS: dict[str, tuple[int, tuple[str, ...]]] = {
    "Jawa Timur": (38, ("35.78", "35.07", "35.10", "35.09")),
    "Jawa Barat": (30, ("32.12", "32.04", "32.73", "32.09")),
    "Jawa Tengah": (22, ("33.74", "33.27", "33.29")),
    "Sulawesi Selatan": (16, ("73.71", "73.08")),
    "Sulawesi Utara": (12, ("71.71", "71.02")),
    "Nusa Tenggara Barat": (9, ("52.03", "52.71")),
    "Bali": (7, ("51.71", "51.08")),
}
# Where the 134 stand after the final count: (path, how many, present at the final count).
OTHER_PATHS: tuple[tuple[tuple[Status, ...], int, bool], ...] = (
    ((S.verified, S.awaiting_return), 40, True),
    ((S.verified,), 38, True),
    ((), 22, True),
    ((S.verified, S.staying), 6, True),
    ((S.verified, S.declined), 6, True),
    ((S.returned_independently,), 7, False),
    ((S.verified, S.returned_independently), 7, False),
    ((S.not_located,), 8, False),
)
OTHER_REFERRED = 12  # of those awaiting return: the NGO accompanies them home
PERSON_COUNT = 145
NTT_COUNT = 11
CITY_RESIDENTS = 3


def _birth_date(rng: random.Random) -> date:
    first, last = date(1978, 1, 1), date(2000, 6, 30)
    return first + timedelta(days=rng.randrange((last - first).days))


def build_persons(seed: int = SEED) -> list[PersonSpec]:
    """The 145 persons, numbered in registration order; the same list for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - reproducible made-up data, not secrets
    rows: list[dict[str, Any]] = []
    for group in NTT_GROUPS:
        for i in range(group.count):
            rows.append(
                {
                    "origin": group.origins[i % len(group.origins)],
                    "path": group.path,
                    "present_at_final": group.present,
                    "referred": group.referred,
                    "city_resident": group.city_resident,
                    "in_batch": group.in_batch,
                }
            )
    origins = [code for count, codes in OTHER_ORIGINS.values() for code in (codes * count)[:count]]
    rng.shuffle(origins)
    paths = [(path, present) for path, count, present in OTHER_PATHS for _ in range(count)]
    referred_left = OTHER_REFERRED
    for origin, (path, present) in zip(origins, paths, strict=True):
        referred = path == (S.verified, S.awaiting_return) and referred_left > 0
        referred_left -= referred
        rows.append({"origin": origin, "path": path, "present_at_final": present, "referred": referred})
    rng.shuffle(rows)
    persons = [PersonSpec(number=n, birth_date=_birth_date(rng), **row) for n, row in enumerate(rows, 1)]
    assert len(persons) == PERSON_COUNT
    return persons
