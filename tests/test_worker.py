"""`resdir worker`: scheduled mail from any number of nodes, each mail sent once
(issue 12.3)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from resdir.directory import models as m
from resdir.extensions import db
from resdir.jobs import operations as jobs
from resdir.referrals.models import Referral

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).parent / "flask"
CONSENT = {"given": True, "method": "verbal", "scope": "Name, age, ZIP and the need"}


def test_a_lease_lets_one_process_run_a_job(app):
    hour = timedelta(hours=1)
    with app.app_context():
        assert jobs.acquire("send-reminders", "node-a:1", hour)
        assert not jobs.acquire("send-reminders", "node-b:2", hour)  # held
        jobs.release("send-reminders", "node-a:1", complete=False)  # bounded: due again
        assert jobs.acquire("send-reminders", "node-b:2", hour)
        jobs.release("send-reminders", "node-b:2", complete=True)
        assert not jobs.acquire("send-reminders", "node-a:1", hour)  # ran: not due for an hour
        assert jobs.acquire("send-reminders", "node-a:1", timedelta(0))


def _overdue_referrals(app, people, count: int) -> list[str]:
    client = app.test_client()
    headers = people.bearer("coord_a")
    with app.app_context():
        services = [db.session.query(m.Service.id).filter_by(name=n).scalar()
                    for n in ("Hilltop Food Pantry", "Sliding Scale Counseling")]
    made = []
    for i in range(count):
        person = client.post("/api/v1/clients", headers=headers, json={
            "name": f"Invented Person {i}", "zip": "15219", "age": 30 + i}).get_json()["id"]
        response = client.post("/api/v1/referrals", headers=headers, json={
            "client_id": person, "service_id": services[i % 2], "need": "food-insecurity",
            "consent": CONSENT})
        assert response.status_code == 201, response.get_json()
        made.append(response.get_json()["id"])
    with app.app_context():
        for referral in db.session.query(Referral).filter(Referral.id.in_(made)):
            referral.requested_at = datetime.now(UTC) - timedelta(days=6)
        for service in db.session.query(m.Service):
            service.assured_date = None  # every listing stale: verification mail due
        db.session.commit()
    return made


def test_two_workers_racing_send_each_mail_once(app, people, mailbox, tmp_path, node_env):
    referrals = _overdue_referrals(app, people, 6)
    mailbox.messages.clear()
    env = {**os.environ, "FLASK_APP": "wsgi", **node_env(
        RESDIR_MAIL_ENABLED="true", RESDIR_SMTP_HOST="127.0.0.1",
        RESDIR_SMTP_PORT=str(app.config["RESDIR_SMTP_PORT"]),
        # two mails per job and tick, a tick a second: the work spreads over ticks
        RESDIR_WORKER_BATCH="2", RESDIR_WORKER_INTERVAL_SECONDS="1")}
    logs = [tmp_path / f"worker-{i}.log" for i in range(2)]
    outputs = [log.open("wb") for log in logs]
    workers = [subprocess.Popen([str(FLASK), "resdir", "worker"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT) for out in outputs]
    try:
        deadline = time.monotonic() + 90
        while len(mailbox.messages) < 8 and time.monotonic() < deadline:
            assert all(w.poll() is None for w in workers), [p.read_text() for p in logs]
            time.sleep(0.5)
        time.sleep(4)  # several more ticks of both workers: nothing more may go out
    finally:
        for w, out in zip(workers, outputs, strict=True):
            w.terminate()
            w.wait(20)
            out.close()
    reminders = [msg for msg in mailbox.messages if "Overdue" in msg["Subject"]]
    requests = [msg for msg in mailbox.messages if "verify your listings" in msg["Subject"]]
    assert len(mailbox.messages) == len(reminders) + len(requests)
    linked = sorted(r for msg in reminders for r in referrals if r in msg.get_content())
    assert linked == sorted(referrals)  # each overdue referral reminded exactly once
    assert sorted(msg["To"] for msg in requests) == ["staff@counseling.example",
                                                    "staff@pantry.example"]
    output = "".join(p.read_text() for p in logs)
    assert "send-reminders: 2 reminder(s), more next" in output  # the bound held
    assert "running elsewhere" in output
