"""Browser tests: Python Playwright drives Debian's Chromium (never a downloaded browser) against a live server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import IN_CI

# The sync Playwright API runs an event loop in this thread; Django's ORM must still be usable from the test.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed (apt-get install chromium); .ci/run installs it"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    vendor = Path(__file__).resolve().parents[2] / "static" / "vendor" / "idiomorph.min.js"
    if not vendor.exists():
        pytest.fail("static/vendor/ is missing the npm packages' files: run `make vendor` (npm ci), as make test does")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture
def demo(transactional_db):
    from django.core.management import call_command

    call_command("load_demo", snapshots=False, stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def login(live_server, page):
    """login(username) signs in through the real form and returns the page."""
    from companies.demo import DEMO_PASSWORD

    def _login(username: str, password: str = DEMO_PASSWORD):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Benutzername").or_(page.get_by_label("Username")).fill(username)
        page.get_by_label("Passwort").or_(page.get_by_label("Password")).fill(password)
        page.get_by_role("button", name="Anmelden").or_(page.get_by_role("button", name="Sign in")).click()
        page.wait_for_load_state("domcontentloaded")
        return page

    return _login
