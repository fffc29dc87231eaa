"""What the registry keeps of a NIK comes from the NIK rules, registered one by one or imported."""

import uuid

from sqlalchemy import select

from app.persons import nik as nik_rules
from app.persons.models import Person
from app.security import crypto
from tests.persons.helpers import make_person, make_site
from tests.persons.support import post_csv, synthetic_nik

REGISTERED_NIK = synthetic_nik(9301)
IMPORTED_NIK = "5305994608929302"  # synthetic: district 99 of Kabupaten Alor (53.05), a woman born 6 Aug 1992


def test_the_stored_columns_of_a_nik():
    person_id = uuid.uuid4()
    ciphertext, index, last4, region = nik_rules.stored(person_id, REGISTERED_NIK)
    assert (index, last4, region) == (crypto.blind_index(REGISTERED_NIK), "9301", "53.71")
    assert nik_rules.decrypt(person_id, ciphertext) == REGISTERED_NIK
    assert nik_rules.stored(person_id, None) == (None, None, None, None)
    assert nik_rules.decrypt(person_id, None) is None
    facts = nik_rules.parse(IMPORTED_NIK)
    assert (facts.province_code, facts.region_code) == (nik_rules.province_code(IMPORTED_NIK), "53.05")


async def test_registration_and_import_store_a_nik_alike(client, callers, session):
    site = await make_site(client, callers)
    registered = await make_person(client, callers, site["id"], nik=REGISTERED_NIK)
    rows = [
        "full_name,sex,birth_date,nik,legal_basis",
        f"Warga Uji NIK Impor,female,1992-08-06,{IMPORTED_NIK},public_task",
    ]
    response = await post_csv(client, callers, site["id"], ("\n".join(rows) + "\n").encode())
    assert response.status_code == 200, response.text
    [imported] = response.json()["persons"]
    for person_id, nik in ((registered["id"], REGISTERED_NIK), (imported["id"], IMPORTED_NIK)):
        person = await session.scalar(select(Person).where(Person.id == uuid.UUID(person_id)))
        columns = tuple(getattr(person, column) for column in nik_rules.STORED_COLUMNS)
        assert nik_rules.decrypt(person.id, columns[0]) == nik
        assert columns[1:] == nik_rules.stored(person.id, nik)[1:]
