"""Organizations, their locations and addresses, and their programs (HSDS `service`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.ext.orderinglist import ordering_list
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from resdir.basics import new_id, utcnow
from resdir.directory.models import details
from resdir.directory.models.taxonomy import CATEGORY_TAXONOMY_ID, Attribute, TaxonomyTerm
from resdir.extensions import db

SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
CAPACITY_STATUSES = ("capacity", "waitlist", "no-capacity", "additional-assessment-required")


class Organization(db.Model):
    __tablename__ = "organization"
    # Public lists are paged in name order: without these, every page sorts the whole table.
    __table_args__ = (Index("ix_organization_name_id", "name", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
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
    # Every "near a point" query starts with a box on these (HSDS proximity: without it
    # SQLite read all 100,000 locations for a 250 m radius).
    __table_args__ = (Index("ix_location_latitude_longitude", "latitude", "longitude"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
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

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
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
        return one_line(self.address_1, self.address_2, self.city, self.state_province,
                        self.postal_code)


def one_line(address_1: str, address_2: str | None, city: str, state_province: str,
             postal_code: str) -> str:
    """An address on one line: "1 Main St, Suite 2, Pittsburgh, PA 15213"."""
    street = ", ".join(p for p in (address_1, address_2) if p)
    return f"{street}, {city}, {state_province} {postal_code}"


class Service(db.Model):
    __tablename__ = "service"
    __table_args__ = (Index("ix_service_name_id", "name", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
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
    phones: Mapped[list[details.Phone]] = relationship(
        cascade="all, delete-orphan", order_by=details.PHONE_ORDER,
        collection_class=ordering_list("position"))
    schedules: Mapped[list[details.Schedule]] = relationship(
        cascade="all, delete-orphan", order_by="Schedule.position"
    )
    service_areas: Mapped[list[details.ServiceArea]] = relationship(cascade="all, delete-orphan")
    languages: Mapped[list[details.Language]] = relationship(cascade="all, delete-orphan")
    required_documents: Mapped[list[details.RequiredDocument]] = relationship(
        cascade="all, delete-orphan"
    )
    cost_options: Mapped[list[details.CostOption]] = relationship(cascade="all, delete-orphan")
    eligibility: Mapped[details.Eligibility | None] = relationship(
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

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service] = relationship(back_populates="service_at_locations")
    location: Mapped[Location] = relationship()
