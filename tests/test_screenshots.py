"""A failing browser test leaves a screenshot in test-artifacts/ (the conftest hook); a passing
one leaves nothing. Run as a separate pytest process, as CI would run the suite."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.browser

INNER_TESTS = '''
def test_page_shows_the_wrong_heading(browser):
    page = browser.new_page()
    page.set_content("<h1>Nothing found near 15213</h1>")
    assert page.locator("h1").inner_text() == "3 programs near 15213"


def test_page_passes(browser):
    page = browser.new_page()
    page.set_content("<h1>Fine</h1>")
    assert page.locator("h1").inner_text() == "Fine"
    page.close()
'''


def test_failing_browser_test_leaves_a_screenshot(tmp_path):
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import browser, pytest_runtest_makereport  # noqa: F401\n")
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--rootdir",
         str(tmp_path), str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
    shots = sorted(p.name for p in (tmp_path / "test-artifacts").iterdir())
    assert shots == ["test_inner.py_test_page_shows_the_wrong_heading.png"]
    png = (tmp_path / "test-artifacts" / shots[0]).read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 1000
    # The failure report says where the screenshot is.
    assert "test-artifacts/test_inner.py_test_page_shows_the_wrong_heading.png" in run.stdout
