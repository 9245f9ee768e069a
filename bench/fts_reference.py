"""The yardstick (issue 12): a plain Flask endpoint over SQLite FTS5 that answers
`GET /api/v1/search?q=&category=&zip=&radius_mi=` with resdir's JSON, from resdir's own
SQLite database. It imports nothing from resdir; its index is a file beside the database.

    python bench/fts_reference.py DB [--port 8001]   # build the index if missing, serve
"""

import gzip
import math
import sqlite3
import sys
import threading
from datetime import date
from pathlib import Path

from flask import Flask, jsonify, request

ZIPS = Path(__file__).resolve().parents[1] / "resdir" / "zips.tsv.gz"
MI = 6371.009 / 1.609344  # earth radius in miles (geopy's great_circle)
ROWS = """SELECT s.id, s.name, o.id, o.name, s.status, s.capacity_status, s.assured_date,
  s.description, (SELECT number FROM phone WHERE service_id = s.id LIMIT 1),
  (SELECT a.address_1 || ', ' || a.city || ', ' || a.state_province || ' ' || a.postal_code
   FROM service_at_location x JOIN location l ON l.id = x.location_id
   JOIN address a ON a.location_id = l.id WHERE x.service_id = s.id AND NOT l.confidential
   LIMIT 1) FROM service s JOIN organization o ON o.id = s.organization_id WHERE s.id = ?"""
POINTS = """SELECT s.rowid, s.id, s.status, COALESCE(CASE WHEN l.confidential THEN NULL
  ELSE l.latitude END, 0), COALESCE(l.longitude, 0), a.postal_code, l.confidential,
  (SELECT group_concat(t.code, ' ') FROM attribute at JOIN taxonomy_term t ON t.id =
   at.taxonomy_term_id WHERE at.link_id = s.id AND at.link_entity = 'service'),
  s.name, o.name || ' ' || COALESCE(s.description, '')
  FROM service s JOIN organization o ON o.id = s.organization_id
  LEFT JOIN service_at_location x ON x.service_id = s.id LEFT JOIN location l
  ON l.id = x.location_id LEFT JOIN address a ON a.location_id = l.id GROUP BY s.rowid"""


def build(db: str, zips: dict) -> None:
    con = sqlite3.connect(db + ".fts")
    con.executescript("""CREATE TABLE pt(id INTEGER PRIMARY KEY, sid, status, lat, lon, cats);
        CREATE VIRTUAL TABLE f USING fts5(name, body, content='', tokenize='porter unicode61');
        CREATE INDEX pt_ll ON pt(lat, lon);""")
    con.execute("ATTACH ? AS r", (db,))
    for rid, sid, status, given_lat, given_lon, postal, secret, cats, name, body in \
            con.execute(POINTS):
        lat, lon = (zips.get(postal, (given_lat, given_lon)) if secret
                    else (given_lat, given_lon))
        con.execute("INSERT INTO pt VALUES (?,?,?,?,?,?)", (rid, sid, status, lat, lon, cats))
        con.execute("INSERT INTO f(rowid, name, body) VALUES (?,?,?)", (rid, name, body))
    con.commit()


def create(db: str) -> Flask:
    with gzip.open(ZIPS, "rt") as fh:
        zips = {r[0]: (float(r[1]), float(r[2])) for r in (x.split("\t") for x in fh)}
    if not Path(db + ".fts").exists():
        build(db, zips)
    app, local = Flask(__name__), threading.local()

    @app.get("/api/v1/search")
    def search():
        if not hasattr(local, "con"):  # one connection per thread, kept
            local.con = sqlite3.connect(db + ".fts")
            local.con.execute("ATTACH ? AS r", (db,))
        a, con = request.args, local.con
        (lat, lon), radius = zips[a["zip"]], float(a.get("radius_mi", 10))
        dlat = math.degrees(radius / MI)
        dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
        words = " ".join(f'"{w}"' for w in "".join(
            c if c.isalnum() else " " for c in a.get("q", "")).split())
        found, facets = [], {}
        for sid, plat, plon, cat_text, rank in con.execute(
            "SELECT sid, lat, lon, cats, bm25(f, 2.0, 1.0) FROM f JOIN pt ON pt.id = f.rowid"
            " WHERE f MATCH ? AND status = 'active' AND lat BETWEEN ? AND ? AND lon BETWEEN"
            " ? AND ?", (words, lat - dlat, lat + dlat, lon - dlon, lon + dlon)):
            p1, p2 = math.radians(lat), math.radians(plat)
            h = (math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2)
                 * math.sin(math.radians(plon - lon) / 2) ** 2)
            d = 2 * MI * math.asin(min(1.0, math.sqrt(h)))
            cats = (cat_text or "").split()
            if d <= radius:
                for c in cats:
                    facets[c] = facets.get(c, 0) + 1
                if a.get("category") in cats:
                    found.append((rank, d, sid, sorted(cats)))
        found.sort()
        results = []
        for _, d, sid, cats in found[:20]:
            (i, n, oid, on, st, cap, ver, desc, ph, addr) = con.execute(ROWS, (sid,)).fetchone()
            results.append({
                "id": i, "name": n, "organization": {"id": oid, "name": on},
                "categories": cats, "distance_mi": round(d, 2), "address": addr, "phone": ph,
                "confidential_location": addr is None, "status": st, "capacity": cap,
                "last_verified": ver, "snippet": (desc or "")[:200],
                "stale": ver is None or (date.today() - date.fromisoformat(ver)).days > 180})
        return jsonify({"total": len(found), "page": 1, "per_page": 20, "results": results,
                        "facets": {"category": dict(sorted(facets.items()))},
                        "suggestion": None, "corrected": False, "matched": "all"})

    return app


if __name__ == "__main__":
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 8001
    create(sys.argv[1]).run("127.0.0.1", port)
