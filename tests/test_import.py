"""Loading the directory CSV: the real seed file, re-imports, and bad files."""

import csv
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from resdir.directory import csvcells, operations
from resdir.directory import models as m
from resdir.extensions import db

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed_resources.csv"
MINI = ROOT / "tests" / "data" / "mini.csv"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def rows_of(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, csvcells.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_seed_file_loads_and_covers_the_brief(app, runner):
    result = runner.invoke(args=["resdir", "import", str(SEED)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert count(m.Service) >= 400
        assert count(m.Organization) >= 120
        used = set(db.session.scalars(
            select(m.TaxonomyTerm.code).join(m.Attribute,
                                             m.Attribute.taxonomy_term_id == m.TaxonomyTerm.id)
        ))
        assert used == operations.category_slugs()
        statuses = set(db.session.scalars(select(m.Service.status)))
        assert {"active", "temporarily closed"} <= statuses
        assert db.session.scalar(select(func.count()).where(m.Location.confidential)) > 0
        assert count(m.Eligibility) > 100


def test_reimport_updates_instead_of_duplicating(app, runner, tmp_path):
    assert runner.invoke(args=["resdir", "import", str(MINI)]).exit_code == 0
    rows = rows_of(MINI)
    rows[0]["program_name"] = "Hilltop Food Pantry and Market"
    rows[0]["hours"] = "Mo-Fr 09:00-17:00"
    changed = write(tmp_path / "changed.csv", rows)
    result = runner.invoke(args=["resdir", "import", str(changed)])
    assert "0 programs created, 6 updated" in result.output
    with app.app_context():
        assert count(m.Service) == 6
        assert count(m.Organization) == 4
        assert count(m.Location) == 4
        service = db.session.scalar(select(m.Service).where(
            m.Service.name == "Hilltop Food Pantry and Market"))
        assert len([s for s in service.schedules if not s.closed]) == 5


def test_unchanged_reimport_does_not_touch_rows(app, runner):
    runner.invoke(args=["resdir", "import", str(MINI)])
    with app.app_context():
        versions = dict(db.session.execute(select(m.Service.id, m.Service.version)).all())
    runner.invoke(args=["resdir", "import", str(MINI)])
    with app.app_context():
        assert dict(db.session.execute(select(m.Service.id, m.Service.version)).all()) == versions


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("postal_code", "ABCDE", "'ABCDE' is not a ZIP code"),
        ("categories", "food;pets", "unknown category 'pets'"),
        ("hours", "Mo-Fr 9-5", "'9-5' is not a span"),
        ("min_age", "-3", "-3 is outside 0..120"),
        ("income_limit_fpl", "lots", "'lots' is not a whole number"),
        ("status", "open", "'open' is not one of"),
        ("assured_date", "11/24/2026", "not a date like"),
        ("latitude", "95", "95.0 is outside -90..90"),
        ("service_area_geojson", "{\"type\": \"Point\"", "not a GeoJSON geometry"),
        ("program_name", "", "is required"),
        ("languages", "english", "not a two-letter ISO 639-1"),
    ],
)
def test_bad_cell_names_file_row_column_and_reason(app, runner, tmp_path, column, value,
                                                   message):
    rows = rows_of(MINI)
    rows[2][column] = value
    bad = write(tmp_path / "bad.csv", rows)
    result = runner.invoke(args=["resdir", "import", str(bad)])
    assert result.exit_code != 0
    assert f"bad.csv, row 4, column {column}: " in result.output
    assert message in result.output
    assert "nothing was imported" in result.output
    with app.app_context():
        assert count(m.Service) == 0 and count(m.Organization) == 0


def test_bad_row_in_a_reimport_leaves_previous_data_untouched(app, runner, tmp_path):
    runner.invoke(args=["resdir", "import", str(MINI)])
    rows = rows_of(MINI)
    rows[0]["program_name"] = "Renamed"
    rows[5]["max_age"] = "old"
    bad = write(tmp_path / "bad.csv", rows)
    assert runner.invoke(args=["resdir", "import", str(bad)]).exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(m.Service.name == "Renamed")) == 0


def test_inconsistent_organization_rows_are_refused(runner, tmp_path):
    rows = rows_of(MINI)
    rows[1]["organization_name"] = "Another Name"
    result = runner.invoke(args=["resdir", "import", str(write(tmp_path / "x.csv", rows))])
    assert "row 3, column organization_name: differs from row 2" in result.output


def test_duplicate_program_key_is_refused(runner, tmp_path):
    rows = rows_of(MINI)
    rows[1]["program_key"] = rows[0]["program_key"]
    result = runner.invoke(args=["resdir", "import", str(write(tmp_path / "x.csv", rows))])
    assert "row 3, column program_key: 'p-food' already used on row 2" in result.output


def test_missing_header_column_and_unreadable_files(runner, tmp_path):
    no_zip = tmp_path / "nozip.csv"
    no_zip.write_text("organization_key,organization_name\nA,B\n")
    result = runner.invoke(args=["resdir", "import", str(no_zip)])
    assert "row 1, column postal_code: column is missing from the header" in result.output
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x00garbage")
    result = runner.invoke(args=["resdir", "import", str(binary)])
    assert result.exit_code != 0 and "binary.csv" in result.output
    result = runner.invoke(args=["resdir", "import", str(tmp_path / "absent.csv")])
    assert result.exit_code != 0 and "cannot open" in result.output


def test_missing_coordinates_come_from_the_zip(app, tmp_path):
    rows = rows_of(MINI)
    path = write(tmp_path / "one.csv", [rows[2]])  # no latitude/longitude in this row
    with app.app_context():
        operations.import_csv(path)
        loc = db.session.scalar(select(m.Location))
        assert loc.latitude == pytest.approx(40.44, abs=0.02)
        assert loc.timezone == "America/New_York"


def test_setup_is_idempotent(app, runner, tmp_path):
    app.config["RESDIR_SEED_FILE"] = str(shutil.copy(MINI, tmp_path / "seed.csv"))
    first = runner.invoke(args=["resdir", "setup"])
    assert first.exit_code == 0, first.output
    assert "loading seed directory" in first.output
    second = runner.invoke(args=["resdir", "setup"])
    assert "loading seed directory" not in second.output
    assert "search index present" in second.output
    with app.app_context():
        assert count(m.Service) == 6
