"""Single sign-on end to end: Chromium signs in to okrplan through a real OpenID provider, the certified npm package
`oidc-provider` (tests/browser/oidc_provider.mjs), started for each test on a free port and stopped after it.

Flows: an existing member; a first sign-in that creates the membership from an invitation; a domain a facilitator
admits on the members page; a domain nobody admits (refused, clear message); an unverified e-mail address (refused,
even though an account has that address); a company that turned passwords off (password refused, reset sends no
link, single sign-on works); a provider that is down (a page saying so)."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from companies.models import Invitation, Membership, SignInPolicy
from companies.permissions import Role
from companies.sso import forget_provider_configuration
from tests.browser.test_accessibility import serious_violations
from tests.conftest import IN_CI
from tests.factories import CompanyFactory, InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "okrplan-test"
CLIENT_SECRET = "okrplan-test-secret-0123456789"
PROVIDER = "Voltaria ID"
ACCOUNTS = {
    "anna": {"email": "anna@voltaria.example", "email_verified": True, "given_name": "Anna", "family_name": "Roth"},
    "ben": {
        "email": "Ben.Krause@voltaria.example",
        "email_verified": True,
        "given_name": "Ben",
        "family_name": "Krause",
    },
    "dora": {"email": "dora@voltaria.example", "email_verified": True, "given_name": "Dora", "family_name": "Lind"},
    "carl": {"email": "carl@agentur.example", "email_verified": True, "given_name": "Carl", "family_name": "Mohr"},
    "eve": {"email": "eve@voltaria.example", "email_verified": False, "given_name": "Eve", "family_name": "Falk"},
}


def _start_provider(redirect_uri: str) -> tuple[subprocess.Popen, str]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").is_dir():
        message = "node and the npm package oidc-provider are needed (make vendor runs npm ci)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    env = {
        **os.environ,
        "OIDC_TEST_REDIRECT_URI": redirect_uri,
        "OIDC_TEST_CLIENT_ID": CLIENT_ID,
        "OIDC_TEST_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_TEST_ACCOUNTS": json.dumps(ACCOUNTS),
    }
    process = subprocess.Popen(
        [node, str(ROOT / "tests" / "browser" / "oidc_provider.mjs")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline()
            if line.startswith("ready "):
                return process, line.split()[1]
        if process.poll() is not None:
            break
    process.kill()
    pytest.fail("the OpenID provider (node tests/browser/oidc_provider.mjs) did not start")


def _configure(settings, issuer: str) -> None:
    settings.OIDC_ISSUER = issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = PROVIDER
    # What okrplan/settings.py adds for OIDC_ISSUER (tests/accounts/test_single_sign_on.py checks that it does).
    csp = {name: list(values) for name, values in settings.CONTENT_SECURITY_POLICY.items()}
    csp["form-action"].append(issuer)
    settings.CONTENT_SECURITY_POLICY = csp
    forget_provider_configuration()  # only our key: the cache may be the shared Redis of the run


@pytest.fixture
def oidc_provider(live_server, settings):
    process, issuer = _start_provider(f"{live_server.url}/sso/callback/")
    _configure(settings, issuer)
    try:
        yield issuer
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


@pytest.fixture
def voltaria(db):
    company = CompanyFactory(name="Voltaria Energie AG", slug="voltaria")
    MembershipFactory(
        user=UserFactory(username="lena", email="lena@voltaria.example"), company=company, role=Role.FACILITATOR
    )
    MembershipFactory(
        user=UserFactory(username="petra", email="petra@voltaria.example"), company=company, role=Role.EXECUTIVE
    )
    return company


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    # The provider's development pages import a web font; this machine has no internet.
    page.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.csp_violations = violations
    yield page
    context.close()


def _sso(page, url: str, login: str) -> None:
    """From okrplan's sign-in page through the provider's login and consent pages back to okrplan."""
    page.goto(f"{url}/login/")
    page.get_by_role("button", name=f"Sign in with {PROVIDER}").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password works at the test provider")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{url}/**")
    page.wait_for_load_state("domcontentloaded")


def _password_sign_in(page, url: str, username: str, password: str = "pw") -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state("domcontentloaded")


def test_an_existing_member_signs_in(live_server, oidc_provider, voltaria, browser_page):
    anna = UserFactory(username="anna.roth", email="ANNA@voltaria.example", first_name="Anna", last_name="Roth")
    MembershipFactory(user=anna, company=voltaria, role=Role.CMO)

    _sso(browser_page, live_server.url, "anna")

    expect(browser_page).to_have_url(f"{live_server.url}/c/voltaria/")
    expect(browser_page.get_by_role("banner")).to_contain_text("Anna Roth")
    anna.refresh_from_db()
    assert anna.last_login is not None
    assert browser_page.csp_violations == []
    assert get_user_model().objects.filter(email__iexact="anna@voltaria.example").count() == 1


def test_first_sign_in_creates_the_membership_from_the_invitation(live_server, oidc_provider, voltaria, browser_page):
    invitation = InvitationFactory(
        company=voltaria, email="ben.krause@voltaria.example", role=Role.CMO, team="Marketing"
    )

    def slow(route):  # okrplan's pages over a slow network; the provider answers at once
        time.sleep(0.4)
        route.continue_()

    browser_page.route(f"{live_server.url}/**", slow)
    _sso(browser_page, live_server.url, "ben")

    expect(browser_page).to_have_url(f"{live_server.url}/c/voltaria/")
    expect(browser_page.get_by_role("banner")).to_contain_text("Ben Krause")
    ben = get_user_model().objects.get(email__iexact="ben.krause@voltaria.example")
    assert not ben.has_usable_password()
    membership = Membership.objects.get(user=ben, company=voltaria)
    assert (membership.role, membership.team.name) == (Role.CMO, "Marketing")
    invitation.refresh_from_db()
    assert invitation.accepted_by == ben and invitation.accepted_at is not None


def test_a_domain_admitted_on_the_members_page_joins_and_another_domain_is_refused(
    live_server, oidc_provider, voltaria, browser_page, browser
):
    # Lena (facilitator) admits voltaria.example as members on the members page.
    lena_context = browser.new_context(locale="en-US")
    lena = lena_context.new_page()
    _password_sign_in(lena, live_server.url, "lena")
    lena.goto(f"{live_server.url}/c/voltaria/members/")
    form = lena.get_by_test_id("sign-in-policy")
    form.get_by_label("E-mail domains that may join").fill("Voltaria.example")
    form.get_by_label("Their role").select_option("member")
    form.get_by_role("button", name="Save sign-in settings").click()
    expect(lena.get_by_role("status").first).to_contain_text("Sign-in settings saved.")
    expect(lena.get_by_label("E-mail domains that may join")).to_have_value("voltaria.example")
    assert serious_violations(lena) == []
    lena_context.close()

    _sso(browser_page, live_server.url, "dora")
    expect(browser_page).to_have_url(f"{live_server.url}/c/voltaria/")
    dora = get_user_model().objects.get(email="dora@voltaria.example")
    assert Membership.objects.get(user=dora).role == Role.MEMBER

    browser_page.context.clear_cookies()
    _sso(browser_page, live_server.url, "carl")
    problem = browser_page.get_by_test_id("sso-problem")
    expect(problem.get_by_role("heading")).to_have_text("No access to okrplan")
    expect(problem).to_contain_text(
        "carl@agentur.example may not use okrplan yet: no company has invited this address, and none admits "
        "addresses at agentur.example."
    )
    assert not get_user_model().objects.filter(email="carl@agentur.example").exists()
    assert serious_violations(browser_page) == []
    browser_page.goto(f"{live_server.url}/c/voltaria/")
    expect(browser_page).to_have_url(f"{live_server.url}/login/?next=/c/voltaria/")


def test_an_unverified_address_is_refused_even_when_an_account_has_it(
    live_server, oidc_provider, voltaria, browser_page
):
    eve = UserFactory(username="eve", email="eve@voltaria.example")
    MembershipFactory(user=eve, company=voltaria, role=Role.EXECUTIVE)
    SignInPolicy.objects.create(company=voltaria, email_domains="voltaria.example", domain_role=Role.MEMBER)

    _sso(browser_page, live_server.url, "eve")

    problem = browser_page.get_by_test_id("sso-problem")
    expect(problem).to_contain_text(f"{PROVIDER} has not verified your e-mail address eve@voltaria.example.")
    eve.refresh_from_db()
    assert eve.last_login is None
    browser_page.goto(f"{live_server.url}/c/voltaria/")
    expect(browser_page).to_have_url(f"{live_server.url}/login/?next=/c/voltaria/")


def test_a_company_without_passwords_signs_in_by_single_sign_on_only(
    live_server, oidc_provider, voltaria, browser_page
):
    anna = UserFactory(username="anna.roth", email="anna@voltaria.example", first_name="Anna", last_name="Roth")
    MembershipFactory(user=anna, company=voltaria, role=Role.MEMBER)
    SignInPolicy.objects.create(company=voltaria, password_sign_in=False)

    _password_sign_in(browser_page, live_server.url, "anna.roth")
    expect(browser_page.get_by_role("alert")).to_have_text(
        f"Voltaria Energie AG signs in with single sign-on only: use “Sign in with {PROVIDER}” instead of a password."
    )
    expect(browser_page).to_have_url(f"{live_server.url}/login/")

    browser_page.get_by_role("link", name="Forgot your password?").click()
    browser_page.get_by_label(re.compile(r"^E-?mail$", re.IGNORECASE)).fill("anna@voltaria.example")
    browser_page.get_by_role("button", name="Send reset link").click()
    expect(browser_page.get_by_role("heading", level=1)).to_be_visible()
    [message] = mail.outbox
    assert "/password/reset/" not in message.body
    assert "signs in with single sign-on only" in message.body

    _sso(browser_page, live_server.url, "anna")
    expect(browser_page).to_have_url(f"{live_server.url}/c/voltaria/")
    expect(browser_page.get_by_role("banner")).to_contain_text("Anna Roth")


def test_a_provider_that_is_down_gives_a_clear_page(live_server, settings, voltaria, browser_page):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _configure(settings, f"http://127.0.0.1:{port}")
    settings.OIDC_TIMEOUT = 3

    browser_page.goto(f"{live_server.url}/login/")
    assert serious_violations(browser_page) == []
    browser_page.get_by_role("button", name=f"Sign in with {PROVIDER}").click()

    problem = browser_page.get_by_test_id("sso-problem")
    expect(problem.get_by_role("heading")).to_have_text(f"{PROVIDER} cannot be reached")
    expect(problem).to_contain_text("Try again in a few minutes.")
    assert not Invitation.objects.exists()
