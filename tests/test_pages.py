import pytest
from django.test import Client

from companies.permissions import Role

pytestmark = pytest.mark.django_db


def test_login_with_wrong_password_explains(company, make_member):
    make_member(company, username="erika")
    response = Client().post("/login/", {"username": "erika", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_home_sends_a_member_to_their_company(company, client_for):
    client = client_for(company, Role.FACILITATOR)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"/c/{company.slug}/"


def test_user_without_company_sees_what_to_do(db):
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory())
    page = client.get("/").content.decode()
    assert "You are not a member of any company yet" in page


def test_base_layout_has_navigation_switchers_and_signed_in_user(company, client_for):
    client = client_for(company, Role.CMO, first_name="Carla", last_name="Marketing")
    page = client.get(f"/c/{company.slug}/").content.decode()
    assert 'aria-label="Main navigation"' in page
    assert 'id="company-switcher"' in page
    assert 'id="language-switcher"' in page
    assert "Carla Marketing" in page
    assert "Sign out" in page
    assert "https://" not in page.split("<body")[0], "no CDN assets in the head"


def test_logout_is_post_and_returns_to_login(company, client_for):
    client = client_for(company)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get(f"/c/{company.slug}/").status_code == 302


def test_static_assets_are_served_locally(client):
    from django.contrib.staticfiles import finders

    assert finders.find("css/app.css")
    assert finders.find("js/app.js")
    assert finders.find("vendor/plotly.min.js"), "plotly.js is built from npm by `make vendor`"


def test_api_schema_and_docs_are_served_without_cdn(company, client_for):
    client = client_for(company)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/companies/{company_slug}/members/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn.jsdelivr" not in docs.content and b"unpkg.com" not in docs.content


def test_pages_load_htmx_without_the_debug_script_even_in_debug(company, client_for, settings):
    settings.DEBUG = True
    page = client_for(company).get(f"/c/{company.slug}/").content.decode()
    assert "django_htmx/htmx-2.min.js" in page
    assert "django-htmx.js" not in page, "the debug script blanks the page on every refused htmx action"


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/c/acme/", "overview"),
        ("/c/acme/cascade/", "cascade"),
        ("/c/acme/my-key-results/", "my_key_results"),
        ("/c/acme/priorities/", "priorities"),
        ("/c/acme/budgets/", "budgets"),
        ("/c/acme/board/", "board"),
    ],
)
def test_exactly_one_navigation_entry_is_current(company, client_for, path, current):
    import re

    page = client_for(company, Role.CMO).get(path).content.decode()
    nav = page.split('aria-label="Main navigation"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'data-nav="(\w+)" aria-current="page"', nav) == [current]
