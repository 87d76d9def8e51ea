"""Forgotten password, in the browser, in German, over a slow network: the e-mail comes through a real SMTP server,
its link sets a new password once, and the new password signs in."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _slow_network(page, delay_s: float = 0.4):
    def handle(route):
        time.sleep(delay_s)
        route.continue_()

    page.route("**/*", handle)


def test_forgotten_password_reset_by_email_in_german(live_server, page, smtp):
    from objectives.models import Profile

    user = UserFactory(username="hanna", first_name="Hanna", last_name="Berg", email="hanna@acme.example")
    Profile.objects.update_or_create(user=user, defaults={"language": "de"})
    page.context.add_cookies([{"name": "django_language", "value": "de", "url": live_server.url}])
    _slow_network(page)

    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Passwort vergessen?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Passwort zurücksetzen")
    page.get_by_label("E-Mail").fill("hanna@acme.example")
    page.get_by_role("button", name="Link senden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sehen Sie in Ihr Postfach")

    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "Ihr okrplan-Passwort"
    [link] = smtp.links(mail)
    page.goto(link.replace("http://testserver", live_server.url))
    expect(page.get_by_role("heading", level=1)).to_have_text("Neues Passwort wählen")
    page.get_by_label("Neues Passwort", exact=True).press_sequentially("Sommer-Wiese-42!", delay=60)
    page.get_by_label("Neues Passwort bestätigen").press_sequentially("Sommer-Wiese-42!", delay=60)
    page.get_by_role("button", name="Passwort setzen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Passwort gesetzt")

    page.get_by_role("link", name="Anmelden").click()
    page.get_by_label("Benutzername").fill("hanna")
    page.get_by_label("Passwort").fill("Sommer-Wiese-42!")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_test_id("signed-in-user")).to_contain_text("Hanna Berg")

    # The link worked once.
    page.goto(link.replace("http://testserver", live_server.url))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dieser Link funktioniert nicht mehr")
