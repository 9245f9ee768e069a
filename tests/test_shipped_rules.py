"""A release's new crosswalk rules reach a database made before it (`resdir init-db` at the
upgrade), and an admin's deletions and changes stay (resdir/shipped.py)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from resdir.auth.models import User
from resdir.categorize import crosswalk
from resdir.categorize import operations as crosswalk_ops
from resdir.categorize.models import CrosswalkRule
from resdir.extensions import db
from resdir.matching import needs
from resdir.matching import operations as matching_ops


def _rules(app) -> dict[tuple[str, str], str | None]:
    with app.app_context():
        return {(r.scheme, r.match): r.category for r in db.session.scalars(select(CrosswalkRule))}


def _release(path: Path, source: Path, edit) -> Path:
    """A copy of a shipped file as a later release might ship it."""
    path.write_text(edit(source.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def test_a_release_adds_its_new_taxonomy_rules_and_keeps_the_admins(
        app, people, runner, tmp_path, monkeypatch):
    with app.app_context():
        admin = db.session.get(User, people.ids["admin"])
        crosswalk_ops.listing()  # the table, seeded from this release's file
        deleted = db.session.scalar(select(CrosswalkRule).filter_by(scheme="airs", match="BH"))
        crosswalk_ops.delete_rule(admin, deleted.id)
        crosswalk_ops.set_rule(admin, "airs", "BD", "financial", "our choice")
    before = _rules(app)
    assert ("airs", "BH") not in before and before[("airs", "BD")] == "financial"

    # The next release: one new AIRS prefix, and the rules the admin changed or deleted
    # shipped as they were.
    monkeypatch.setattr(crosswalk, "CROSSWALK_FILE", _release(
        tmp_path / "taxonomy_crosswalk.csv", crosswalk.CROSSWALK_FILE,
        lambda text: text + "airs,BZ-9000,food,a prefix a later release maps\n"))
    result = runner.invoke(args=["resdir", "init-db"])
    assert result.exit_code == 0, result.output
    assert "crosswalk: added airs BZ-9000 -> food" in result.output
    assert "crosswalk: kept airs BD -> financial (shipped: food)" in result.output

    after = _rules(app)
    assert after[("airs", "BZ-9000")] == "food"
    assert ("airs", "BH") not in after  # deleted by the admin: not brought back
    assert after[("airs", "BD")] == "financial"  # the admin's category, not the shipped one
    assert {k: v for k, v in after.items() if k != ("airs", "BZ-9000")} == before

    again = runner.invoke(args=["resdir", "init-db"])
    assert "added" not in again.output and _rules(app) == after


def test_a_release_adds_its_new_need_links_and_keeps_the_admins(
        app, people, runner, tmp_path, monkeypatch):
    with app.app_context():
        admin = db.session.get(User, people.ids["admin"])
        matching_ops.set_crosswalk(admin, "housing-instability", ["housing"])  # legal removed
    monkeypatch.setattr(needs, "NEEDS_FILE", _release(
        tmp_path / "sdoh_needs.csv", needs.NEEDS_FILE,
        lambda text: text.replace("food-insecurity,Food Insecurity,food,",
                                  "food-insecurity,Food Insecurity,food;financial,")))
    result = runner.invoke(args=["resdir", "init-db"])
    assert result.exit_code == 0, result.output
    assert "crosswalk: added need food-insecurity -> financial" in result.output
    with app.app_context():
        links = matching_ops.crosswalk()
    assert links["food-insecurity"] == ["financial", "food"]
    assert links["housing-instability"] == ["housing"]  # the admin's removals stay
