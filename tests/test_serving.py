"""Production serving: /healthz for load balancers, and the repo's gunicorn.conf.py."""

from __future__ import annotations

import shutil
from datetime import timedelta

from resdir import create_app
from resdir.basics import utcnow
from resdir.directory import indexing
from resdir.directory import models as m
from resdir.extensions import db
from tests.servers import Gunicorn, get


def test_healthz_reports_a_healthy_node_without_sign_in(client, mini):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["index"]["present"] is True
    assert body["index"]["generation"].startswith("gen-")
    assert body["index"]["lag_seconds"] == 0
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path, database_url):
    url = database_url
    if url.startswith("sqlite"):
        broken = f"sqlite:///{tmp_path}/no-such-folder/resdir.sqlite3"
    else:  # the real server, a database that does not exist
        broken = url.rsplit("/", 1)[0] + "/no_such_database?" + url.split("?", 1)[1]
    app = create_app({"TESTING": True, "RESDIR_DATABASE_URL": broken,
                      "RESDIR_INDEX_DIR": str(tmp_path / "index"), "RESDIR_INDEX_POLL_SECONDS": 0})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "unreachable"
    assert "database unreachable" in body["problems"]
    assert "no_such_database" not in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_healthz_is_503_without_an_index(app, client, mini):
    shutil.rmtree(app.config["RESDIR_INDEX_DIR"])
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["problems"] == ["search index missing"]


def test_healthz_is_503_when_the_index_lags_too_long(app, client, mini):
    with app.app_context():
        service = db.session.query(m.Service).first()
        service.description = "changed while this node's index was not updated"
        db.session.commit()  # a plain commit: nothing applied to this node's index
        for row in db.session.query(m.IndexOutbox):
            row.created_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["problems"] == ["search index behind the change log"]
    assert body["index"]["lag_seconds"] >= 3600
    with app.app_context():
        indexing.apply_pending()
    assert client.get("/healthz").status_code == 200


def test_gunicorn_config_serves_the_app_with_two_workers(app, mini, tmp_path, node_env):
    with Gunicorn(node_env(), workers=2, log=tmp_path / "gunicorn.log") as server:
        status, body = get(server.url + "/healthz")
        assert status == 200 and body["status"] == "ok"
        for _ in range(40):  # keep-alive off: connections spread over both workers
            status, found = get(server.url + "/api/v1/search?q=pantry")
            assert status == 200 and found["total"] >= 1
        log = (tmp_path / "gunicorn.log").read_text()
        pids = {line.split("pid: ")[1].split()[0] for line in log.splitlines()
                if "Booting worker with pid" in line}
        assert len(pids) == 2
