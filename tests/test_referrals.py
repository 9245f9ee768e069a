"""The referral loop through the API: consent, status rules, concurrency, mail, reminders."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resdir.extensions import db
from resdir.referrals import states
from resdir.referrals.models import Referral, ReferralEvent

CONSENT = {"given": True, "method": "verbal", "scope": "Name, age, ZIP and the need"}


@pytest.fixture
def ids(app, api):
    from resdir.directory import models as m

    with app.app_context():
        pantry = db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
        counseling = db.session.query(m.Service.id).filter_by(
            name="Sliding Scale Counseling").scalar()
    client = api("POST", "/api/v1/clients", json={"name": "Wren Halvorsen", "zip": "15219",
                                                   "age": 34}).get_json()["id"]
    return {"pantry": pantry, "counseling": counseling, "client": client}


def refer(api, ids, **extra):
    body = {"client_id": ids["client"], "service_id": ids["pantry"], "need": "food-insecurity",
            "consent": CONSENT, **extra}
    return api("POST", "/api/v1/referrals", json=body)


def patch(api, referral, who, **body):
    return api("PATCH", f"/api/v1/referrals/{referral['id']}", who=who,
               json={"version": referral["version"], **body})


def test_referral_with_consent_is_requested_and_reaches_the_agency(api, ids, mailbox):
    response = refer(api, ids, note="Prefers mornings")
    assert response.status_code == 201, response.get_json()
    referral = response.get_json()
    assert referral["status"] == "requested"
    assert [(e["from"], e["to"]) for e in referral["timeline"]] == [(None, "draft"),
                                                                    ("draft", "requested")]
    inbox = api("GET", "/api/v1/referrals", who="agency_a").get_json()
    assert [r["id"] for r in inbox["results"]] == [referral["id"]]
    assert api("GET", "/api/v1/referrals", who="agency_b").get_json()["total"] == 0
    (message,) = mailbox.messages
    assert message["To"] == "staff@pantry.example"
    body = message.get_content()
    assert f"/referrals/{referral['id']}" in body
    assert "client W." in body and "Wren" not in body and "Halvorsen" not in body


def test_without_consent_it_stays_a_draft_the_agency_cannot_see(api, ids):
    referral = refer(api, ids, consent={"given": False}).get_json()
    assert referral["status"] == "draft"
    assert api("GET", f"/api/v1/referrals/{referral['id']}", who="agency_a").status_code == 404
    refused = patch(api, referral, "coord_a", status="requested")
    assert refused.status_code == 400 and "consent" in refused.get_json()["error"]["message"]
    given = api("PATCH", f"/api/v1/referrals/{referral['id']}", json={"consent": CONSENT})
    assert given.status_code == 200
    sent = patch(api, given.get_json(), "coord_a", status="requested")
    assert sent.get_json()["status"] == "requested"


def test_a_draft_cancelled_before_sending_never_reaches_the_agency(api, ids):
    """Cancelled is not draft, but the agency was never sent it: not in its inbox, its
    FHIR Task search, or by id (issue 14: one policy rule for every list)."""
    draft = refer(api, ids, consent={"given": False}).get_json()
    cancelled = patch(api, draft, "coord_a", status="cancelled", reason="client-declined")
    assert cancelled.status_code == 200, cancelled.get_json()
    assert api("GET", f"/api/v1/referrals/{draft['id']}", who="agency_a").status_code == 404
    assert api("GET", "/api/v1/referrals", who="agency_a").get_json()["total"] == 0
    tasks = api("GET", "/fhir/Task", who="agency_a").get_json()
    assert tasks["total"] == 0, tasks
    assert api("GET", "/api/v1/referrals", who="coord_a").get_json()["total"] == 1


def test_the_whole_loop_to_completed(api, ids, mailbox):
    referral = refer(api, ids).get_json()
    referral = patch(api, referral, "agency_a", status="accepted").get_json()
    referral = patch(api, referral, "agency_a", status="in-progress").get_json()
    missing = patch(api, referral, "agency_a", status="completed")
    assert missing.status_code == 400 and missing.get_json()["error"]["parameter"] == "outcome"
    done = patch(api, referral, "agency_a", status="completed",
                 outcome={"enrollment": "enrolled", "provided": "Weekly groceries"})
    assert done.status_code == 200
    seen = api("GET", f"/api/v1/referrals/{referral['id']}").get_json()
    assert seen["status"] == "completed"
    assert seen["outcome"] == {"enrollment": "enrolled", "provided": "Weekly groceries"}
    assert [e["to"] for e in seen["timeline"]][-3:] == ["accepted", "in-progress", "completed"]
    # The coordinator heard of each change the agency made.
    to_coordinator = [m for m in mailbox.messages if m["To"] == "coord.a@clinic-a.example"]
    assert len(to_coordinator) == 3


@pytest.mark.parametrize(("who", "status", "code"), [
    ("coord_a", "accepted", 403),  # only the agency accepts
    ("agency_a", "entered-in-error", 403),  # only the referrer
    ("agency_a", "completed", 409),  # requested cannot jump to completed
    ("agency_b", "accepted", 404),  # another agency cannot even see it
    ("coord_b", "cancelled", 404),  # another care organization neither
    ("admin", "accepted", 403),  # admins watch; the two sides act
])
def test_refusals(api, ids, who, status, code):
    referral = refer(api, ids).get_json()
    assert patch(api, referral, who, status=status).status_code == code


def test_reject_needs_a_reason_from_the_vocabulary(api, ids):
    referral = refer(api, ids).get_json()
    assert patch(api, referral, "agency_a", status="rejected").status_code == 400
    assert patch(api, referral, "agency_a", status="rejected",
                 reason="busy").get_json()["error"]["parameter"] == "reason"
    other = patch(api, referral, "agency_a", status="rejected", reason="other")
    assert other.get_json()["error"]["parameter"] == "reason_text"
    ok = patch(api, referral, "agency_a", status="rejected", reason="no-capacity")
    assert ok.get_json()["status"] == "rejected" and ok.get_json()["reason"] == "no-capacity"


def test_stale_version_is_409_and_shows_the_new_state(api, ids):
    referral = refer(api, ids).get_json()
    assert patch(api, referral, "agency_a", status="accepted").status_code == 200
    late = patch(api, referral, "coord_a", status="cancelled", reason="client-declined")
    assert late.status_code == 409
    assert "now accepted" in late.get_json()["error"]["message"]


def test_concurrent_updates_never_overwrite(app, api, ids):
    """Two sessions read version N; both write. Exactly one wins, at the database."""
    from resdir.auth.models import User
    from resdir.referrals import operations

    referral_id = refer(api, ids).get_json()["id"]
    with app.app_context():
        agency = db.session.query(User).filter_by(email="staff@pantry.example").one()
        coord = db.session.query(User).filter_by(email="coord.a@clinic-a.example").one()
        first = db.session.get(Referral, referral_id)
        version = first.version
        # A second writer commits through a separate connection first.
        other = db.session.get_bind().connect()
        other.exec_driver_sql(
            "UPDATE referral SET status = 'accepted', version = version + 1 WHERE id = ?"
            if other.dialect.name == "sqlite" else
            "UPDATE referral SET status = 'accepted', version = version + 1 WHERE id = %s",
            (referral_id,))
        other.commit()
        other.close()
        from resdir.errors import Conflict

        with pytest.raises(Conflict):
            operations.change_status(coord, first, {"status": "cancelled", "version": version,
                                                    "reason": "client-declined"})
        assert agency  # the agency's write stands
        db.session.expire_all()
        assert db.session.get(Referral, referral_id).status == "accepted"


def test_duplicate_open_referral_needs_confirmation(api, ids):
    assert refer(api, ids).status_code == 201
    again = refer(api, ids)
    assert again.status_code == 409 and again.get_json()["error"]["parameter"] == \
        "confirm_duplicate"
    assert refer(api, ids, confirm_duplicate=True).status_code == 201


def test_bad_requests_name_the_field(api, ids):
    assert refer(api, ids, need="hunger").get_json()["error"]["parameter"] == "need"
    assert refer(api, ids, priority="asap").get_json()["error"]["parameter"] == "priority"
    assert refer(api, ids, consent={"given": True}).get_json()["error"]["parameter"] == \
        "consent.method"
    assert api("POST", "/api/v1/referrals", who="agency_a", json={}).status_code == 403
    assert api("GET", "/api/v1/referrals?status=lost").status_code == 400


def test_overdue_and_reminders_once_a_day(app, api, ids, mailbox, runner):
    referral = refer(api, ids).get_json()
    with app.app_context():
        row = db.session.get(Referral, referral["id"])
        row.requested_at = datetime.now(UTC) - timedelta(days=6)
        db.session.commit()
    listed = api("GET", "/api/v1/referrals?overdue=true").get_json()
    assert [r["id"] for r in listed["results"]] == [referral["id"]]
    mailbox.messages.clear()
    assert "sent 1 reminder" in runner.invoke(args=["resdir", "send-reminders"]).output
    assert "sent 0 reminder" in runner.invoke(args=["resdir", "send-reminders"]).output
    assert len(mailbox.messages) == 1
    assert "Overdue" in mailbox.messages[0]["Subject"]


def test_the_deadline_does_not_depend_on_the_database_sessions_time_zone(app):
    """SQLite hands a stored time back naive (UTC), PostgreSQL in its session's time zone:
    the same moment must give the same deadline. Sent Friday 23:00 UTC (already Saturday in
    Auckland), two business days later is Tuesday 23:00 UTC; counted in Auckland's days it
    came out a day early, Monday 23:00 UTC."""
    from zoneinfo import ZoneInfo

    from resdir.referrals.deadlines import due

    sent = datetime(2026, 11, 27, 23, 0)  # a Friday
    in_auckland = sent.replace(tzinfo=UTC).astimezone(ZoneInfo("Pacific/Auckland"))
    with app.app_context():
        assert app.config["RESDIR_RESPOND_WITHIN_BUSINESS_DAYS"] == 2
        from_sqlite = due(Referral(status="requested", requested_at=sent))
        from_postgres = due(Referral(status="requested", requested_at=in_auckland))
    assert from_sqlite == from_postgres == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert from_postgres.utcoffset() == timedelta(0)  # shown as UTC, like every other time


def test_timeline_is_append_only(app, api, ids):
    from sqlalchemy import text

    refer(api, ids)
    with app.app_context():
        for sql in ("UPDATE referral_event SET note = 'x'", "DELETE FROM referral_event"):
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text(sql))
            db.session.rollback()
        assert db.session.query(ReferralEvent).count() == 2


def test_agency_sees_only_what_is_shared(api, ids):
    referral = refer(api, ids, contact_preference="do-not-contact").get_json()
    seen = api("GET", f"/api/v1/referrals/{referral['id']}", who="agency_a").get_json()
    assert seen["client"] == {"name": "Wren Halvorsen", "age": 34, "zip": "15219",
                              "languages": None}
    assert seen["do_not_contact"] is True


@settings(max_examples=300, deadline=None)
@given(path=st.lists(st.tuples(st.sampled_from(states.STATUSES),
                               st.sampled_from([states.REFERRER, states.AGENCY])), max_size=8))
def test_state_machine_never_leaves_a_terminal_state_except_to_error(path):
    """Property: any sequence of attempted changes keeps the machine's promises."""
    current = "requested"
    for new, side in path:
        try:
            states.check(current, new, side, "other", "why", {"enrollment": "enrolled"})
        except states.TransitionError as exc:
            assert exc.kind in ("illegal", "side")
            continue
        assert new in states.TRANSITIONS[current]
        if current in states.TERMINAL:
            assert new == "entered-in-error" and side == states.REFERRER
        current = new
    assert current in states.STATUSES


@pytest.mark.parametrize("current", states.STATUSES)
@pytest.mark.parametrize("new", states.STATUSES)
@pytest.mark.parametrize("side", [states.REFERRER, states.AGENCY])
def test_every_transition_follows_the_table(current, new, side):
    allowed = side in states.TRANSITIONS.get(current, {}).get(new, ())
    try:
        states.check(current, new, side, "no-capacity", None, {"enrollment": "enrolled"})
    except states.TransitionError:
        assert not allowed
    else:
        assert allowed


def test_fhir_bundle_and_task_update_from_an_agency_system(api, ids, people, app):
    referral = refer(api, ids).get_json()
    response = api("GET", f"/api/v1/referrals/{referral['id']}/fhir")
    assert response.mimetype == "application/fhir+json"
    bundle = response.get_json()
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert {"ServiceRequest", "Task", "Patient", "Consent"} <= set(kinds)
    task = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Task")
    assert task["status"] == "requested" and task["intent"] == "order"
    task["status"] = "accepted"
    put = app.test_client().put(f"/fhir/Task/{referral['id']}", json=task,
                                headers=people.bearer("agency_a"))
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["status"] == "accepted"
    assert api("GET", f"/api/v1/referrals/{referral['id']}").get_json()["status"] == "accepted"
    # The same Task again (its meta.versionId now old) changes nothing: FHIR's idempotent PUT.
    again = app.test_client().put(f"/fhir/Task/{referral['id']}", json=task,
                                  headers=people.bearer("agency_a"))
    assert again.status_code == 200
    task["status"] = "in-progress"  # but a change from the old version is refused
    stale = app.test_client().put(f"/fhir/Task/{referral['id']}", json=task,
                                  headers=people.bearer("agency_a"))
    assert stale.status_code == 409
    bad = app.test_client().put(f"/fhir/Task/{referral['id']}", json={"resourceType": "Patient"},
                                headers=people.bearer("agency_a"))
    assert bad.status_code == 400
    assert bad.get_json()["issue"][0]["expression"][0].startswith("Task")


def test_timeline_and_audit_log_cannot_be_truncated(app, api, ids):
    """TRUNCATE fires no row trigger; a statement trigger refuses it (issue 9.10). SQLite has
    no TRUNCATE: its equivalent, an unqualified DELETE, is what it must refuse there."""
    from sqlalchemy import text

    from resdir.audit.models import AuditEvent

    assert refer(api, ids).status_code == 201
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        statements = (["TRUNCATE audit_event", "TRUNCATE referral_event CASCADE",
                       "TRUNCATE referral CASCADE"] if postgres else
                      ["DELETE FROM audit_event", "DELETE FROM referral_event"])
        before = (db.session.query(AuditEvent).count(), db.session.query(ReferralEvent).count())
        assert before[0] > 0 and before[1] == 2
        for sql in statements:
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text(sql))
            db.session.rollback()
        after = (db.session.query(AuditEvent).count(), db.session.query(ReferralEvent).count())
        assert after == before


@pytest.mark.postgres
def test_readme_app_role_cannot_change_the_audit_tables(app, api, ids):
    """The GRANT block of the README, run as written: the app role appends, never rewrites."""
    import re
    from pathlib import Path

    from sqlalchemy import text

    assert refer(api, ids).status_code == 201
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = re.search(r"<!-- app-role-grants -->\n```sql\n(.*?)```", readme, re.S).group(1)
    with app.app_context():
        exists = db.session.execute(text(
            "SELECT 1 FROM pg_roles WHERE rolname = 'resdir_app'")).scalar()
        if not exists:
            db.session.execute(text("CREATE ROLE resdir_app LOGIN"))
        for statement in block.split(";"):
            if statement.strip():
                db.session.execute(text(statement))
        db.session.commit()
        db.session.execute(text("SET ROLE resdir_app"))
        db.session.execute(text(
            "INSERT INTO audit_event (at, action, outcome) VALUES (now(), 'test.append', 'ok')"))
        assert db.session.execute(text("SELECT count(*) FROM referral_event")).scalar() == 2
        db.session.execute(text("UPDATE referral SET note = note"))  # ordinary tables: allowed
        db.session.commit()
        for sql in ("UPDATE audit_event SET action = 'forged'", "DELETE FROM referral_event",
                    "TRUNCATE audit_event", "ALTER TABLE audit_event DISABLE TRIGGER ALL"):
            db.session.execute(text("SET ROLE resdir_app"))
            with pytest.raises(Exception, match="permission denied|must be owner"):
                db.session.execute(text(sql))
            db.session.rollback()
