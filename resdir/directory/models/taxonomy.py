"""Taxonomies (resdir's own categories among them) and the attributes that link their terms
to programs."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from resdir.basics import new_id
from resdir.extensions import db

# The fixed id of resdir's own category taxonomy, so code can tell categories apart
# from imported taxonomies without a query.
CATEGORY_TAXONOMY_ID = "6c1b8a52-5e0c-4f7e-9d55-6b0c9e1e7a01"


class Taxonomy(db.Model):
    __tablename__ = "taxonomy"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(40))


class TaxonomyTerm(db.Model):
    __tablename__ = "taxonomy_term"
    __table_args__ = (UniqueConstraint("taxonomy_id", "code"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
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

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    link_id: Mapped[str] = mapped_column(String(36), index=True)
    link_type: Mapped[str | None] = mapped_column(String(50))
    link_entity: Mapped[str] = mapped_column(String(50))
    taxonomy_term_id: Mapped[str] = mapped_column(ForeignKey("taxonomy_term.id"), index=True)
    value: Mapped[str | None] = mapped_column(Text)

    taxonomy_term: Mapped[TaxonomyTerm] = relationship(lazy="joined")
