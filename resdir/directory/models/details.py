"""What a program's listing holds beside its name and places: phones and contacts, opening
hours, service areas, languages, required documents, costs and structured eligibility."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, Time
from sqlalchemy.ext.orderinglist import ordering_list
from sqlalchemy.orm import Mapped, mapped_column, relationship

from resdir.basics import new_id
from resdir.extensions import db

INSURANCE_TYPES = ("medicaid", "medicare", "private", "uninsured")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class Phone(db.Model):
    __tablename__ = "phone"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"))
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contact.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    extension: Mapped[str | None] = mapped_column(String(20))
    type: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    # The order the source or the agency gave (the first is the one results show). Without
    # it the order was where the database keeps rows, and PostgreSQL writes an edited row
    # anew, often after the others.
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# Phones in their given order; the id breaks ties between rows written before `position`.
PHONE_ORDER = (Phone.position, Phone.id)


class Contact(db.Model):
    """A named person to reach at an organization, program or location (HSDS contact);
    their phones are phone rows with this contact_id."""

    __tablename__ = "contact"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"),
                                                        index=True)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"))
    name: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(300))
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    phones: Mapped[list[Phone]] = relationship(
        cascade="all, delete-orphan", order_by=PHONE_ORDER,
        collection_class=ordering_list("position"))


class Schedule(db.Model):
    """One weekly opening span (HSDS `freq=WEEKLY`, one `byday`), or a dated closure.

    A span whose `closes_at` is not after `opens_at` runs past midnight into the next day.
    A closure (resdir extension `closed`) has no times and covers `valid_from`..`valid_to`.
    """

    __tablename__ = "schedule"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"))
    freq: Mapped[str | None] = mapped_column(String(10))
    byday: Mapped[str | None] = mapped_column(String(40))
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ServiceArea(db.Model):
    """Where a program serves residents. `kind` (resdir extension) says how to read it:

    `postal_codes` (`extent` is a ";" list of ZIPs), `county` (`extent` is "Name County, ST"),
    `radius` (`radius_mi` around `center_latitude`/`center_longitude`), `polygon`
    (`extent` is GeoJSON, `extent_type` "geojson"), or `text` (words only).
    """

    __tablename__ = "service_area"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    extent: Mapped[str | None] = mapped_column(Text)
    extent_type: Mapped[str] = mapped_column(String(20), default="text")
    kind: Mapped[str] = mapped_column(String(20), default="text")
    radius_mi: Mapped[float | None] = mapped_column(Float)
    center_latitude: Mapped[float | None] = mapped_column(Float)
    center_longitude: Mapped[float | None] = mapped_column(Float)


class Language(db.Model):
    __tablename__ = "language"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"))
    name: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)


class RequiredDocument(db.Model):
    __tablename__ = "required_document"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    document: Mapped[str] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(String(500))


class CostOption(db.Model):
    __tablename__ = "cost_option"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    option: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(String(3))
    amount: Mapped[float | None] = mapped_column(Float)
    amount_description: Mapped[str | None] = mapped_column(Text)


class Eligibility(db.Model):
    """resdir extension: structured eligibility (HSDS 3.0 has only free text and ages).

    Age limits stay on the service (`minimum_age`, `maximum_age`) as in HSDS. Residency is
    given by the service areas when `residency_required` is set.
    """

    __tablename__ = "eligibility"

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), primary_key=True)
    income_limit_fpl: Mapped[int | None] = mapped_column(Integer)
    household_size_min: Mapped[int | None] = mapped_column(Integer)
    household_size_max: Mapped[int | None] = mapped_column(Integer)
    veteran_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # ";" list of accepted insurance types; empty accepts any.
    insurance: Mapped[str | None] = mapped_column(String(100))
    gender: Mapped[str | None] = mapped_column(String(20))
    pregnancy_required: Mapped[bool] = mapped_column(Boolean, default=False)
    disability_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # ";" list of ISO 639-1 codes; the client must speak one of them.
    languages: Mapped[str | None] = mapped_column(String(100))
    residency_required: Mapped[bool] = mapped_column(Boolean, default=False)
