from pathlib import Path

import pytest

from resdir import config, create_app

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.parametrize("setting", config.SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented_in_the_readme(setting):
    text = README.read_text()
    assert f"`RESDIR_{setting.name}`" in text, f"RESDIR_{setting.name} missing from README"


def test_environment_overrides_defaults(tmp_path):
    loaded = config.load(str(tmp_path), {"RESDIR_PER_PAGE": "7", "RESDIR_INDEX_SYNC": "no"})
    assert loaded["RESDIR_PER_PAGE"] == 7
    assert loaded["RESDIR_INDEX_SYNC"] is False


def test_defaults_live_in_the_instance_folder(tmp_path):
    loaded = config.load(str(tmp_path), {})
    assert loaded["RESDIR_DATABASE_URL"] == f"sqlite:///{tmp_path / 'resdir.sqlite3'}"
    assert loaded["RESDIR_INDEX_DIR"] == str(tmp_path / "index")


def test_app_reads_database_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RESDIR_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/x.db"
