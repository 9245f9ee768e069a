"""What every app process carries (issue 12: per-worker RSS at 100,000 programs <= 200 MB;
bench/worker_rss.py measures it under gunicorn)."""

import json
import subprocess
import sys

SCRIPT = """
import json, sys
from resdir import create_app
app = create_app({"RESDIR_DATABASE_URL": "sqlite:///%(db)s", "RESDIR_INDEX_DIR": "%(index)s",
                  "RESDIR_INDEX_POLL_SECONDS": 0, "TESTING": True})
with app.app_context():
    from resdir.extensions import db
    db.create_all()
client = app.test_client()
assert client.get("/api/v1/search?q=food&zip=15213&radius_mi=10").status_code == 200
assert client.get("/?q=food&zip=15213").status_code == 200
print(json.dumps(sorted(m for m in ("matplotlib", "geopy", "requests") if m in sys.modules)))
"""


def test_searching_loads_no_chart_or_geocoder_library(tmp_path):
    """matplotlib (report charts, ~30 MB) and geopy with requests (geocoders, ~7 MB) were
    imported with the app, so the gunicorn master and every worker carried them while
    almost every request only searches; now only the code that uses them loads them."""
    script = SCRIPT % {"db": tmp_path / "app.sqlite3", "index": tmp_path / "index"}
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
