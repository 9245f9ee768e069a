"""The admin directory (issue 10): browse and search every organization and program, create
organizations, link agency staff, merge duplicates (programs, locations, people, referrals
move; history kept and recording the merge; one transaction; audited; re-indexed)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from resdir.agencies.models import ChangeRecord
from resdir.audit.models import AuditEvent
from resdir.auth.models import User
from resdir.curation import merging, operations
from resdir.directory import models as m
from resdir.extensions import db
from resdir.referrals.models import Referral


@pytest.fixture
def admin(app, people):
    return people.login(app.test_client(), "admin")


def _post(client, csrf_token, path, **form):
    return client.post(path, data={**form, "csrf_token": csrf_token(client, "/admin/directory/")})


def test_organizations_are_searched_and_paged_by_the_database(app, people, admin):
    with app.app_context():
        for n in range(5):
            db.session.add(m.Organization(name=f"Allegheny Agency {n}"))
        db.session.commit()
        first = operations.organizations("allegheny", page=1, per_page=2)
        last = operations.organizations("allegheny", page=3, per_page=2)
        assert first.total == 5 and first.last == 3
        assert [r[0].name for r in first.rows] == ["Allegheny Agency 0", "Allegheny Agency 1"]
        assert [r[0].name for r in last.rows] == ["Allegheny Agency 4"]
        # The person's % and _ are letters, not patterns.
        assert operations.organizations("%").total == 0
    page = admin.get("/admin/directory/?q=hilltop").get_data(as_text=True)
    assert "Hilltop Community Pantry" in page and "Counseling Collective" not in page
    assert admin.get("/admin/directory/?page=zero").status_code == 400


def test_programs_of_every_organization_are_listed_with_edit_links(app, people, admin):
    page = admin.get("/admin/directory/programs?q=counseling").get_data(as_text=True)
    assert "Sliding Scale Counseling" in page and "Hilltop Food Pantry" not in page
    with app.app_context():
        sid = db.session.scalar(select(m.Service.id).where(
            m.Service.name == "Sliding Scale Counseling"))
    assert f"/agency/programs/{sid}/edit" in page
    # The admin edits another organization's listing with the agency form and comes back.
    form = admin.get(f"/agency/programs/{sid}/edit").get_data(as_text=True)
    assert 'name="hours"' in form


def test_create_organization_and_refuse_a_name_taken(app, people, admin, csrf_token):
    response = _post(admin, csrf_token, "/admin/directory/organizations",
                     name="  Braddock   Food Bank ", website="https://braddock.example")
    assert response.status_code == 303
    assert "Braddock Food Bank" in admin.get(response.location).get_data(as_text=True)
    again = _post(admin, csrf_token, "/admin/directory/organizations",
                  name="braddock food bank")
    assert again.status_code == 400
    assert "name: an organization named" in again.get_data(as_text=True)
    bad = _post(admin, csrf_token, "/admin/directory/organizations", name="X",
                website="braddock.example")
    assert bad.status_code == 400 and "website:" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "organization.create")) == "organization.create"


def test_link_an_agency_user_to_an_organization(app, people, admin, csrf_token):
    path = f"/admin/directory/organizations/{people.pantry_org}/people"
    response = _post(admin, csrf_token, path, email="STAFF@counseling.example")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(User, people.ids["agency_b"]).organization_id == people.pantry_org
    refused = _post(admin, csrf_token, path, email="coord.a@clinic-a.example")
    assert refused.status_code == 400
    assert "is a coordinator" in refused.get_data(as_text=True)
    unknown = _post(admin, csrf_token, path, email="nobody@x.example")
    assert unknown.status_code == 400 and "nobody has the e-mail" in unknown.get_data(
        as_text=True)


@pytest.fixture
def duplicate_with_referral(app, people):
    """A referral (coordinator A) to the counseling collective's program, the duplicate."""
    from resdir.matching.operations import create_client
    from resdir.referrals.operations import create_referral

    with app.app_context():
        coord = db.session.get(User, people.ids["coord_a"])
        counseling = db.session.scalar(select(m.Service).where(
            m.Service.name == "Sliding Scale Counseling"))
        client = create_client(coord, {"name": "Ima Testperson", "zip": "15213",
                                        "needs": ["food-insecurity"]})
        referral = create_referral(coord, {
            "client_id": client.id, "service_id": counseling.id, "need": "food-insecurity",
            "consent": {"given": True, "method": "verbal", "scope": "name"}})
        programs = set(db.session.scalars(select(m.Service.id).where(
            m.Service.organization_id == people.counseling_org)))
        locations = set(db.session.scalars(select(m.Location.id).where(
            m.Location.organization_id == people.counseling_org)))
        return referral.id, programs, locations


def test_merge_moves_everything_keeps_history_and_reindexes(app, people, admin, csrf_token,
                                                            duplicate_with_referral):
    referral_id, programs, locations = duplicate_with_referral
    survivor, duplicate = people.pantry_org, people.counseling_org
    path = f"/admin/directory/organizations/{survivor}/merge"
    preview = _post(admin, csrf_token, path, duplicate="three rivers counseling collective")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert f"{len(programs)} program(s)" in text and "1 referral(s)" in text
    with app.app_context():
        assert db.session.get(m.Organization, duplicate) is not None  # nothing moved yet
    done = _post(admin, csrf_token, path, duplicate=duplicate, confirm="yes")
    assert done.status_code == 303
    assert "Merged Three Rivers Counseling Collective" in admin.get(done.location).get_data(
        as_text=True)
    with app.app_context():
        assert db.session.get(m.Organization, duplicate) is None
        assert {s.organization_id for s in db.session.scalars(
            select(m.Service).where(m.Service.id.in_(programs)))} == {survivor}
        assert {loc.organization_id for loc in db.session.scalars(
            select(m.Location).where(m.Location.id.in_(locations)))} == {survivor}
        assert db.session.get(User, people.ids["agency_b"]).organization_id == survivor
        assert db.session.get(Referral, referral_id).agency_organization_id == survivor
        moved = db.session.scalars(select(ChangeRecord).where(
            ChangeRecord.field_name == "organization")).all()
        assert {c.resource_id for c in moved} == programs
        assert {c.previous_value for c in moved} == {"Three Rivers Counseling Collective"}
        merged = db.session.scalar(select(ChangeRecord).where(
            ChangeRecord.resource_id == survivor, ChangeRecord.field_name == "merged"))
        assert duplicate in merged.previous_value
        actions = {(e.action, e.record_id) for e in db.session.scalars(select(AuditEvent))}
        assert ("organization.merge", survivor) in actions
        assert ("organization.merged_away", duplicate) in actions
    # The moved program's history shows the merge; the index knows its new organization.
    program = sorted(programs)[0]
    history = admin.get(f"/agency/programs/{program}/history").get_data(as_text=True)
    assert "Three Rivers Counseling Collective" in history
    found = admin.get("/api/v1/search?q=counseling").get_json()["results"]
    assert {r["organization"]["id"] for r in found if r["id"] in programs} == {survivor}
    # The moved agency user now keeps every program of the survivor.
    agency_b = people.login(app.test_client(), "agency_b")
    assert agency_b.get(f"/agency/programs/{program}/edit").status_code == 200


def test_merge_refuses_itself_and_unknown_names(app, people, admin, csrf_token):
    path = f"/admin/directory/organizations/{people.pantry_org}/merge"
    same = _post(admin, csrf_token, path, duplicate=people.pantry_org, confirm="yes")
    assert same.status_code == 400 and "cannot be merged into itself" in same.get_data(
        as_text=True)
    unknown = _post(admin, csrf_token, path, duplicate="No Such Agency", confirm="yes")
    assert unknown.status_code == 400
    assert "duplicate: no organization is named" in unknown.get_data(as_text=True)


def test_merge_is_all_or_nothing_when_a_program_changed_meanwhile(app, people):
    """A program of the duplicate saved by someone else between the merge's read and its
    write: the merge is a conflict and nothing moves."""
    from sqlalchemy import update

    from resdir.errors import Conflict

    with app.app_context():
        admin = db.session.get(User, people.ids["admin"])
        duplicate = db.session.get(m.Organization, people.counseling_org)
        first = duplicate.services[0]  # the merge works on what this session has read
        db.session.commit()
        first.version  # noqa: B018  (read again at the version of now)
        with db.engine.begin() as other:  # another request saves the listing
            other.execute(update(m.Service).where(m.Service.id == first.id)
                          .values(version=m.Service.version + 1))
        with pytest.raises(Conflict):
            merging.merge(admin, people.pantry_org, people.counseling_org)
        db.session.rollback()
        assert db.session.get(m.Organization, people.counseling_org) is not None
        assert {s.organization_id for s in db.session.scalars(select(m.Service).where(
            m.Service.organization_id == people.counseling_org))} == {people.counseling_org}


def test_a_reimport_after_a_merge_updates_the_survivor(app, people):
    """The survivor had no import key: it takes the duplicate's, so loading the duplicate's
    file again updates the survivor instead of bringing the duplicate back."""
    from resdir.directory.operations import import_csv
    from tests.conftest import MINI_CSV

    with app.app_context():
        admin = db.session.get(User, people.ids["admin"])
        survivor = operations.create_organization(admin, "Hilltop Pantry (admin's record)")
        key = db.session.get(m.Organization, people.pantry_org).source_key
        assert key
        merging.merge(admin, survivor.id, people.pantry_org)
        organizations = db.session.query(m.Organization).count()
        import_csv(MINI_CSV)
        assert db.session.query(m.Organization).count() == organizations
        assert db.session.get(m.Organization, survivor.id).source_key == key
        assert db.session.get(m.Organization, people.pantry_org) is None


def test_an_organizations_page_shows_a_slice_of_a_large_program_list(app, people, admin):
    with app.app_context():
        org = db.session.get(m.Organization, people.pantry_org)
        shown, total = operations.programs_of(org, limit=1)
        assert (len(shown), total) == (1, 2)
    page = admin.get(f"/admin/directory/organizations/{people.pantry_org}").get_data(
        as_text=True)
    assert "Programs (2)" in page and "Emergency Rent Assistance" in page


def test_directory_pages_cost_the_same_statements_whatever_the_rows(app, people, admin):
    """A page of 50 organizations or programs takes as many SQL statements as a page of 3:
    counts, names and organizations come with the page's own queries (no query per row)."""
    from sqlalchemy import event

    def statements(path: str) -> int:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert admin.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements("/admin/directory/"), statements("/admin/directory/programs")
    with app.app_context():
        for n in range(60):
            org = m.Organization(name=f"Agency {n:02d}")
            db.session.add(m.Service(organization=org, name=f"Program {n:02d}"))
        db.session.commit()
    many = statements("/admin/directory/"), statements("/admin/directory/programs")
    assert many == few
    assert admin.get("/admin/directory/").get_data(as_text=True).count(
        "/admin/directory/organizations/") == 50
