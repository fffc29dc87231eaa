"""The inventory's tables: reference data and organisations."""

from app.privacy.inventory.model import ID, NOBODY, STAMPS, TableEntry, plain, staff

TABLES: dict[str, TableEntry] = {
    "regions": TableEntry(
        "The Kemendagri list of provinces and regencies.",
        columns={"code": plain(), "name": plain(), "level": plain(), "parent_code": plain()},
    ),
    "sites": TableEntry(
        "The lokalisasi being closed and its timeline.",
        columns=ID
        | STAMPS
        | {
            "name": plain(),
            "code": plain(),
            "region_code": plain(),
            "address": plain(),
            "status": plain(),
            "closure_announced_on": plain(),
            "closed_on": plain(),
            "notes": plain(),
            "registration_counter": plain(NOBODY),
        },
    ),
    "agencies": TableEntry(
        "City offices (OPD), NGOs, police, and origin regions' social offices.",
        columns=ID
        | STAMPS
        | {
            "name": plain(),
            "name_key": plain(NOBODY),
            "acronym": plain(),
            "kind": plain(),
            "region_code": plain(),
            "address": plain(),
            "contact_name": staff(),
            "contact_phone": staff(),
            "contact_email": staff(),
            "active": plain(),
        },
    ),
}
