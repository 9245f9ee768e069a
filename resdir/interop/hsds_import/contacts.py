"""Contacts (named people at an organization, program or location) with their phones, and
the organizations' own phones: read into the plan, then written after the programs.

A contact keeps `source_key` `hsds:<source>:contact:<id>` so a re-import updates it; its
phones and an organization's own phones (rows naming neither a program nor a location nor a
contact) are replaced only when they differ.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from resdir.directory import models as m
from resdir.extensions import db
from resdir.interop.hsds_import.clean import Cleaner, ids
from resdir.interop.hsds_import.plan import Plan, limit
from resdir.interop.hsds_import.report import ImportReport
from resdir.interop.hsds_import.store import (
    by_key,
    changed_set,
    child_ids,
    count,
    replace,
    service_ids,
)
from resdir.interop.hsds_import.tables import Rec

LIMITS = {c: limit(m.Contact, c) for c in ("name", "title", "department", "email")}
PHONE_COLUMNS = ("number", "extension", "type", "description")


@dataclass
class ContactPlan:
    rec: Rec
    values: dict
    org_id: str | None = None
    service_id: str | None = None
    location_id: str | None = None
    phones: list[dict] = field(default_factory=list)


def read(plan: Plan, recs: list[Rec], clean: Cleaner) -> None:
    for rec in recs:
        key = rec.get("id")
        values = {c: clean.text(rec, c, LIMITS[c]) for c in LIMITS}
        if not key or not (values["name"] or values["title"] or values["email"]):
            clean.skipped(rec, "id" if not key else "name",
                          "is required" if not key else "no name, title or e-mail; contact "
                                                        "skipped")
            continue
        item = ContactPlan(rec, values)
        for name, known in (("service_id", plan.services), ("location_id", plan.locations),
                            ("organization_id", plan.orgs)):
            found = [i for i in ids(rec, name, clean) if i in known]
            if found:
                setattr(item, {"organization_id": "org_id"}.get(name, name), found[0])
        if item.service_id and not item.org_id:
            item.org_id = plan.services[item.service_id].org_id
        if item.location_id and not item.org_id:
            item.org_id = plan.locations[item.location_id].org_id
        if not (item.org_id or item.service_id or item.location_id):
            clean.skipped(rec, "organization_id", "names no organization, program or location "
                                                  "that was imported; contact skipped")
            continue
        plan.contacts[key] = item


def write(plan: Plan, report: ImportReport, org_ids: dict, loc_ids: dict) -> None:
    """After the programs: contacts with their phones, and organizations' own phones."""
    program_ids = service_ids(plan, {c.service_id for c in plan.contacts.values()
                                     if c.service_id})
    found = by_key(m.Contact, [plan.key("contact", k) for k in plan.contacts],)
    for key, item in plan.contacts.items():
        source_key = plan.key("contact", key)
        contact = found.get(source_key)
        new = contact is None
        if new:
            contact = m.Contact(id=str(uuid.uuid5(uuid.NAMESPACE_URL, source_key)),
                                source_key=source_key)
            db.session.add(contact)
        changed = changed_set(contact, organization_id=org_ids.get(item.org_id),
                              service_id=program_ids.get(item.service_id),
                              location_id=loc_ids.get(item.location_id), **item.values)
        phones = [m.Phone(id=p["id"], **{c: p.get(c) for c in PHONE_COLUMNS})
                  for p in child_ids(source_key, "phones", item.phones)]
        changed |= replace(contact, "phones", phones, _phone_key)
        count(report, "contact", new, changed)
    added: list[m.Phone] = []
    for key, items in plan.org_phones.items():
        org_id = org_ids.get(key)
        if org_id is None:
            continue
        current = list(db.session.scalars(select(m.Phone).where(
            m.Phone.organization_id == org_id, m.Phone.service_id.is_(None),
            m.Phone.contact_id.is_(None))))
        wanted = [{"id": p["id"], **{c: p.get(c) for c in PHONE_COLUMNS}}
                  for p in child_ids(plan.key("organization", key), "phones", items)]
        if sorted(map(_phone_key, current), key=repr) == sorted(
                (tuple(w[c] for c in PHONE_COLUMNS) for w in wanted), key=repr):
            continue
        for phone in current:
            db.session.delete(phone)
        added += [m.Phone(organization_id=org_id, position=n, **w)
                  for n, w in enumerate(wanted)]
    if added:
        db.session.flush()  # the old rows go first: the new ones may reuse their ids
        db.session.add_all(added)


def _phone_key(phone: m.Phone) -> tuple:
    return tuple(getattr(phone, c) for c in PHONE_COLUMNS)
