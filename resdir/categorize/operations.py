"""The crosswalk's rules in the database (seeded from data/taxonomy_crosswalk.csv) and the
admins' changes to them; the review queue of suggested categories (see review.py)."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from resdir.audit.operations import record
from resdir.auth import policy
from resdir.categorize.crosswalk import NONE, SCHEMES, Rule, key, read_file
from resdir.categorize.models import CrosswalkRule
from resdir.directory.operations import category_slugs
from resdir.errors import BadParameter, NotFound
from resdir.extensions import db
from resdir.shipped import first_offers


def ensure_crosswalk() -> list[str]:
    """Add the shipped rules this database has never been offered (all of them into an empty
    table; a release's new rules into an older one; see resdir/shipped.py). Returns what it
    added and where the shipped file and the table differ, one line each, for init-db."""
    shipped = {(r.scheme, r.match): r for r in read_file()}
    have = {(r.scheme, r.match): r for r in db.session.scalars(select(CrosswalkRule))}
    new = first_offers("taxonomy-crosswalk", (f"{s}:{m}" for s, m in shipped))
    lines = []
    for (scheme, match), rule in shipped.items():
        mine = have.get((scheme, match))
        if f"{scheme}:{match}" in new and mine is None:
            db.session.add(CrosswalkRule(scheme=scheme, match=match, category=rule.category,
                                         note=rule.note or None))
            lines.append(f"added {scheme} {match} -> {rule.category or NONE}")
        elif mine is not None and mine.category != rule.category:
            lines.append(f"kept {scheme} {match} -> {mine.category or NONE} "
                         f"(shipped: {rule.category or NONE})")
    db.session.flush()
    return lines if have else [f"{len(lines)} taxonomy rules from data/taxonomy_crosswalk.csv"]


def _seed_if_empty() -> None:
    """A database init-db has not seen yet (a test's, or one made by create_all) gets the
    shipped rules on first use; otherwise init-db alone offers them (no read of the whole
    table in a web request)."""
    if db.session.scalar(select(CrosswalkRule.id).limit(1)) is None:
        ensure_crosswalk()


def rules() -> list[Rule]:
    """The rules in force: the table's once it has any, else the shipped file's."""
    rows = db.session.scalars(select(CrosswalkRule)).all()
    if not rows:
        return read_file()
    return [Rule(r.scheme, r.match, r.category, r.note or "") for r in rows]


def listing(scheme: str | None = None, text: str | None = None) -> list[CrosswalkRule]:
    _seed_if_empty()
    query = select(CrosswalkRule).order_by(CrosswalkRule.scheme, CrosswalkRule.match)
    if scheme:
        query = query.where(CrosswalkRule.scheme == scheme)
    if text:
        like = f"%{text.lower()}%"
        query = query.where(func.lower(CrosswalkRule.match).like(like)
                            | func.lower(func.coalesce(CrosswalkRule.note, "")).like(like))
    return list(db.session.scalars(query))


def set_rule(user, scheme: str, match: str, category: str, note: str = "") -> CrosswalkRule:
    """Add or change the rule for (scheme, match); category `-` means no category."""
    policy.require_admin(user)
    if scheme not in SCHEMES:
        raise BadParameter(f"scheme must be one of {', '.join(SCHEMES)}.", "scheme")
    match = key(scheme, match or "")
    if not match or len(match) > 200:
        raise BadParameter("match is required (at most 200 characters).", "match")
    category = (category or "").strip()
    if category != NONE and category not in category_slugs():
        raise BadParameter(f"Unknown category {category[:40]!r}.", "category")
    _seed_if_empty()
    rule = db.session.scalar(select(CrosswalkRule).where(CrosswalkRule.scheme == scheme,
                                                         CrosswalkRule.match == match))
    if rule is None:
        rule = CrosswalkRule(scheme=scheme, match=match)
        db.session.add(rule)
    rule.category = None if category == NONE else category
    rule.note = (note or "").strip()[:200] or None
    db.session.flush()
    record("category_crosswalk.update", "category_crosswalk", str(rule.id),
           user=user)
    db.session.commit()
    return rule


def delete_rule(user, rule_id: int) -> None:
    policy.require_admin(user)
    rule = db.session.get(CrosswalkRule, rule_id)
    if rule is None:
        raise NotFound("No such crosswalk rule.")
    db.session.execute(delete(CrosswalkRule).where(CrosswalkRule.id == rule_id))
    record("category_crosswalk.delete", "category_crosswalk", str(rule_id),
           user=user)
    db.session.commit()
