"""The directory, in Open Referral HSDS 3.0 vocabulary.

Table and column names follow HSDS 3.0 so that import and export are lossless. What HSDS
lacks is marked "resdir extension": structured eligibility, capacity, confidential
locations, typed service areas, holiday closures and source keys for idempotent imports.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from resdir.basics import new_id, utcnow
from resdir.extensions import db

SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
CAPACITY_STATUSES = ("capacity", "waitlist", "no-capacity", "additional-assessment-required")
INSURANCE_TYPES = ("medicaid", "medicare", "private", "uninsured")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _id() -> Mapped[str]:
    return mapped_column(String(36), primary_key=True, default=new_id)


class Organization(db.Model):
    __tablename__ = "organization"
    # Public lists are paged in name order: without these, every page sorts the whole table.
    __table_args__ = (Index("ix_organization_name_id", "name", "id"),)

    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(300))
    alternate_name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(300))
    website: Mapped[str | None] = mapped_column(String(500))
    # resdir extension: the key this record has in the file it was imported from.
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    last_modified: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    services: Mapped[list[Service]] = relationship(back_populates="organization")
    locations: Mapped[list[Location]] = relationship(back_populates="organization")


class Location(db.Model):
    __tablename__ = "location"

    id: Mapped[str] = _id()
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), index=True)
    location_type: Mapped[str] = mapped_column(String(20), default="physical")
    name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # resdir extension: IANA zone of the place, used to tell whether it is open now.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # resdir extension: the address is shown only to people with a need to know.
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    organization: Mapped[Organization] = relationship(back_populates="locations")
    addresses: Mapped[list[Address]] = relationship(
        back_populates="location", cascade="all, delete-orphan"
    )

    @property
    def address(self) -> Address | None:
        physical = [a for a in self.addresses if a.address_type == "physical"]
        return (physical or self.addresses or [None])[0]


class Address(db.Model):
    __tablename__ = "address"

    id: Mapped[str] = _id()
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id"), index=True)
    attention: Mapped[str | None] = mapped_column(String(300))
    address_1: Mapped[str] = mapped_column(String(300))
    address_2: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    state_province: Mapped[str] = mapped_column(String(60))
    postal_code: Mapped[str] = mapped_column(String(10), index=True)
    country: Mapped[str] = mapped_column(String(2), default="US")
    address_type: Mapped[str] = mapped_column(String(20), default="physical")

    location: Mapped[Location] = relationship(back_populates="addresses")

    def one_line(self) -> str:
        street = ", ".join(p for p in (self.address_1, self.address_2) if p)
        return f"{street}, {self.city}, {self.state_province} {self.postal_code}"


class Service(db.Model):
    __tablename__ = "service"
    __table_args__ = (Index("ix_service_name_id", "name", "id"),)

    id: Mapped[str] = _id()
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    alternate_name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(30), default="active")
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)
    fees_description: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    assured_date: Mapped[date | None] = mapped_column(Date)
    assurer_email: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # resdir extension: capacity (HSDS 3.1 draft `service_capacity` plus FHIR's codes).
    capacity_status: Mapped[str | None] = mapped_column(String(40))
    capacity_available: Mapped[int | None] = mapped_column(Integer)
    capacity_maximum: Mapped[int | None] = mapped_column(Integer)
    capacity_updated: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Optimistic locking: a concurrent edit of the same row fails instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    organization: Mapped[Organization] = relationship(back_populates="services")
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(
        back_populates="service", cascade="all, delete-orphan"
    )
    phones: Mapped[list[Phone]] = relationship(cascade="all, delete-orphan")
    schedules: Mapped[list[Schedule]] = relationship(
        cascade="all, delete-orphan", order_by="Schedule.position"
    )
    service_areas: Mapped[list[ServiceArea]] = relationship(cascade="all, delete-orphan")
    languages: Mapped[list[Language]] = relationship(cascade="all, delete-orphan")
    required_documents: Mapped[list[RequiredDocument]] = relationship(
        cascade="all, delete-orphan"
    )
    cost_options: Mapped[list[CostOption]] = relationship(cascade="all, delete-orphan")
    eligibility: Mapped[Eligibility | None] = relationship(
        cascade="all, delete-orphan", uselist=False
    )
    attributes: Mapped[list[Attribute]] = relationship(
        primaryjoin=lambda: and_(
            Service.id == foreign(Attribute.link_id), Attribute.link_entity == "service"
        ),
        cascade="all, delete-orphan",
        overlaps="attributes",
    )

    @property
    def locations(self) -> list[Location]:
        return [sal.location for sal in self.service_at_locations]

    @property
    def categories(self) -> list[TaxonomyTerm]:
        return [
            a.taxonomy_term
            for a in self.attributes
            if a.taxonomy_term is not None and a.taxonomy_term.taxonomy_id == CATEGORY_TAXONOMY_ID
        ]


class ServiceAtLocation(db.Model):
    __tablename__ = "service_at_location"
    __table_args__ = (UniqueConstraint("service_id", "location_id"),)

    id: Mapped[str] = _id()
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service] = relationship(back_populates="service_at_locations")
    location: Mapped[Location] = relationship()


class Phone(db.Model):
    __tablename__ = "phone"

    id: Mapped[str] = _id()
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"))
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contact.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    extension: Mapped[str | None] = mapped_column(String(20))
    type: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)


class Contact(db.Model):
    """A named person to reach at an organization, program or location (HSDS contact);
    their phones are phone rows with this contact_id."""

    __tablename__ = "contact"

    id: Mapped[str] = _id()
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"),
                                                        index=True)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"))
    name: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(300))
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    phones: Mapped[list[Phone]] = relationship(cascade="all, delete-orphan")


class Schedule(db.Model):
    """One weekly opening span (HSDS `freq=WEEKLY`, one `byday`), or a dated closure.

    A span whose `closes_at` is not after `opens_at` runs past midnight into the next day.
    A closure (resdir extension `closed`) has no times and covers `valid_from`..`valid_to`.
    """

    __tablename__ = "schedule"

    id: Mapped[str] = _id()
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

    id: Mapped[str] = _id()
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

    id: Mapped[str] = _id()
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"))
    name: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)


class RequiredDocument(db.Model):
    __tablename__ = "required_document"

    id: Mapped[str] = _id()
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    document: Mapped[str] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(String(500))


class CostOption(db.Model):
    __tablename__ = "cost_option"

    id: Mapped[str] = _id()
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


class Taxonomy(db.Model):
    __tablename__ = "taxonomy"

    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(40))


class TaxonomyTerm(db.Model):
    __tablename__ = "taxonomy_term"
    __table_args__ = (UniqueConstraint("taxonomy_id", "code"),)

    id: Mapped[str] = _id()
    taxonomy_id: Mapped[str | None] = mapped_column(ForeignKey("taxonomy.id"), index=True)
    code: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("taxonomy_term.id"))
    term_uri: Mapped[str | None] = mapped_column(String(500))
    # resdir extension: the matching Open Eligibility service terms, ";" separated.
    open_eligibility: Mapped[str | None] = mapped_column(String(300))


class Attribute(db.Model):
    """Links a taxonomy term (our categories among them) to any object."""

    __tablename__ = "attribute"

    id: Mapped[str] = _id()
    link_id: Mapped[str] = mapped_column(String(36), index=True)
    link_type: Mapped[str | None] = mapped_column(String(50))
    link_entity: Mapped[str] = mapped_column(String(50))
    taxonomy_term_id: Mapped[str] = mapped_column(ForeignKey("taxonomy_term.id"), index=True)
    value: Mapped[str | None] = mapped_column(Text)

    taxonomy_term: Mapped[TaxonomyTerm] = relationship(lazy="joined")


class IndexChange(db.Model):
    """The index change log: one row per program whose search document must be rewritten,
    written in the same transaction as the change. `seq` orders the log; every app node
    applies the rows after its index's own position (kept in the index folder), so no node
    depends on another's. Rows are kept for RESDIR_INDEX_LOG_RETENTION_HOURS, then pruned.
    """

    __tablename__ = "index_change"
    # AUTOINCREMENT: SQLite must never hand out a pruned sequence number again.
    __table_args__ = {"sqlite_autoincrement": True}

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 index=True)


# The importer's name for it (bulk inserts of new programs' log rows).
IndexOutbox = IndexChange


class IndexLogState(db.Model):
    """One row: the highest sequence number pruned from the log. A node whose position is
    below it has missed changes and rebuilds its index."""

    __tablename__ = "index_log_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pruned_through: Mapped[int] = mapped_column(BigInteger, default=0)


# The fixed id of resdir's own category taxonomy, so code can tell categories apart
# from imported taxonomies without a query.
CATEGORY_TAXONOMY_ID = "6c1b8a52-5e0c-4f7e-9d55-6b0c9e1e7a01"
