"""What the HSDS objects of a batch of programs need beyond their own rows (taxonomies,
organization and location phones and languages, contacts, change records and their authors'
roles), read at once for the batch."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from resdir.agencies.models import ChangeRecord
from resdir.auth.models import User
from resdir.directory import models as m
from resdir.extensions import db


class Context:
    """What the objects of a batch of services need beyond their own rows, read at once."""

    def __init__(self, services=(), organization_ids=(), location_ids=()):
        orgs = {*organization_ids, *(s.organization_id for s in services)}
        locs = {*location_ids, *(sal.location_id for s in services
                                 for sal in s.service_at_locations)}
        self.taxonomies = {t.id: t for t in db.session.scalars(select(m.Taxonomy))}
        self.org_phones = self._group(m.Phone, m.Phone.organization_id, orgs)
        self.loc_phones = self._group(m.Phone, m.Phone.location_id, locs)
        self.loc_languages = self._group(m.Language, m.Language.location_id, locs)
        self.changes, self.roles = {}, {}
        ids = [s.id for s in services]
        self.contacts = self._contacts(orgs, ids, locs)
        if ids:
            rows = self._group(ChangeRecord, ChangeRecord.resource_id, ids, order=ChangeRecord.id)
            self.changes = rows
            users = {r.updated_by for group in rows.values() for r in group if r.updated_by}
            if users:
                self.roles = dict(db.session.execute(
                    select(User.id, User.role).where(User.id.in_(users))).all())

    @staticmethod
    def _contacts(orgs, services, locations) -> dict[tuple[str, str], list[m.Contact]]:
        """Contacts by what they belong to: ("service", id), ("location", id) or, for those
        naming neither, ("organization", id)."""
        out: dict[tuple[str, str], list[m.Contact]] = {}
        seen: set[str] = set()
        for column, given in ((m.Contact.service_id, services),
                              (m.Contact.location_id, locations),
                              (m.Contact.organization_id, orgs)):
            keys = sorted(k for k in given if k)
            for start in range(0, len(keys), 500):
                for contact in db.session.scalars(
                        select(m.Contact).where(column.in_(keys[start:start + 500]))
                        .options(selectinload(m.Contact.phones)).order_by(m.Contact.id)):
                    if contact.id in seen:
                        continue
                    seen.add(contact.id)
                    owner = (("service", contact.service_id) if contact.service_id else
                             ("location", contact.location_id) if contact.location_id else
                             ("organization", contact.organization_id))
                    out.setdefault(owner, []).append(contact)
        return out

    @staticmethod
    def _group(model, column, keys, order=None) -> dict[str, list]:
        out: dict[str, list] = {}
        keys = sorted(k for k in keys if k)
        for start in range(0, len(keys), 500):
            query = select(model).where(column.in_(keys[start:start + 500]))
            if model in (m.Phone, m.Language):
                query = query.where(model.service_id.is_(None))
            orders = m.PHONE_ORDER if model is m.Phone else (
                (order,) if order is not None else (model.id,))
            for row in db.session.scalars(query.order_by(*orders)):
                out.setdefault(getattr(row, column.key), []).append(row)
        return out
