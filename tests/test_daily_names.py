"""Names where people expect names, not ids (issue 10, defect 7): listing history "By",
the audit log's person and record columns and filters, the People page's organization."""

import re

from resdir.directory import models as m
from resdir.extensions import db


def _pantry(app):
    with app.app_context():
        return db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()


def test_listing_history_says_who_by_e_mail(app, people):
    from resdir.agencies.models import ChangeRecord

    sid = _pantry(app)
    with app.app_context():
        db.session.add(ChangeRecord(resource_id=sid, field_name="fees", previous_value=None,
                                    replacement_value="$2 per visit",
                                    updated_by=people.ids["agency_a"]))
        db.session.commit()
    admin = people.login(app.test_client(), "admin")
    page = admin.get(f"/agency/programs/{sid}/history").get_data(as_text=True)
    assert "$2 per visit" in page
    assert "staff@pantry.example" in page and people.ids["agency_a"] not in page


def test_audit_log_shows_and_filters_by_names(app, people, csrf_token):
    agency = people.login(app.test_client(), "agency_a")
    sid = _pantry(app)
    agency.post(f"/agency/programs/{sid}/confirm",
                data={"csrf_token": csrf_token(agency, "/agency/")})
    admin = people.login(app.test_client(), "admin")
    page = admin.get("/admin/audit").get_data(as_text=True)
    rows = re.findall(r"<tr><td.*?</tr>", page, re.S)
    confirm = next(r for r in rows if "service.confirm" in r or "service.assure" in r
                   or ("staff@pantry.example" in r and "Hilltop Food Pantry" in r))
    assert "staff@pantry.example" in confirm and "Hilltop Food Pantry" in confirm
    assert people.ids["agency_a"] not in confirm and sid not in confirm
    # Filters take what an admin knows: an e-mail, a program's name.
    by_person = admin.get("/admin/audit?user=staff@pantry.example").get_data(as_text=True)
    assert "staff@pantry.example" in by_person and "coord.a@clinic-a.example" not in by_person
    by_record = admin.get("/admin/audit?record=hilltop+food+pantry").get_data(as_text=True)
    assert "Hilltop Food Pantry" in by_record
    assert re.findall(r"<tr><td.*?</tr>", by_record, re.S)
    assert "Person (e-mail)" in page and "User id" not in page and "Record id" not in page


def test_people_page_shows_organization_names_not_ids(app, people):
    admin = people.login(app.test_client(), "admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert 'value="Hilltop Community Pantry"' in page
    assert f'value="{people.pantry_org}"' not in page
    assert f'value="{people.care["coord_a"]}"' not in page
