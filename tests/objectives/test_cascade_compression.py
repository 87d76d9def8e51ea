"""Issue 19: pages and JSON go out compressed; the cascade page of 500 objectives (× 4 key results) transfers at
most 400 KB, with a fresh CSRF mask on every response and a weak ETag that still answers 304."""

from __future__ import annotations

import datetime as dt
import gzip
import re

import pytest
from django.urls import reverse

from bench.scale import generate_objectives
from companies.permissions import Role
from tests.factories_cascade import CycleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_cycle(company, make_member):
    for _ in range(3):
        make_member(company, Role.MEMBER)
    cycle = CycleFactory(
        company=company, name="FY 2026", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31)
    )
    assert generate_objectives(company, cycle, 500, seed=1) == (500, 2000)
    return cycle


def test_the_500_objective_cascade_page_transfers_at_most_400_kb(company, big_cycle, client_for):
    client = client_for(company, Role.FACILITATOR)
    url = reverse("objectives:cascade", kwargs={"company_slug": company.slug})
    response = client.get(url, {"cycle": big_cycle.pk}, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip" and "Accept-Encoding" in response["Vary"]
    sent = len(response.content)
    html = gzip.decompress(response.content).decode()
    assert html.count('data-kind="objective"') == 500 and html.count('data-kind="kr"') == 2000
    assert len(html) > 2_000_000  # what went uncompressed before
    assert sent <= 400 * 1024, f"{sent / 1024:.0f} KB"
    # the CSRF token in the page is masked anew per response (BREACH): two responses never carry the same one
    again = gzip.decompress(client.get(url, {"cycle": big_cycle.pk}, HTTP_ACCEPT_ENCODING="gzip").content).decode()
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    assert token.search(html) and token.search(html).group(1) != token.search(again).group(1)


def test_json_and_partials_are_compressed_and_their_weak_etag_still_answers_304(company, big_cycle, client_for):
    client = client_for(company, Role.MEMBER)
    api = reverse("api-cascade", kwargs={"company_slug": company.slug})
    first = client.get(api, {"cycle": big_cycle.pk}, HTTP_ACCEPT_ENCODING="gzip")
    assert first["Content-Encoding"] == "gzip" and first["ETag"].startswith('W/"')
    assert len(first.content) * 5 < len(gzip.decompress(first.content))
    again = client.get(api, {"cycle": big_cycle.pk}, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    tree = reverse("objectives:cascade", kwargs={"company_slug": company.slug})
    partial = client.get(tree, {"cycle": big_cycle.pk, "partial": "tree"}, HTTP_ACCEPT_ENCODING="gzip")
    assert partial["Content-Encoding"] == "gzip"
    plain = client.get(tree, {"cycle": big_cycle.pk, "partial": "tree"})
    assert "Content-Encoding" not in plain and plain.content == gzip.decompress(partial.content)


def test_the_tree_partial_is_compressed_once_per_version(company, big_cycle, client_for):
    """Every participant fetching the new tree after an edit gets the stream compressed when the tree was rendered
    (the same bytes each time, no per-request compression); an edit gives a new one; a 304 still answers."""
    client, other = client_for(company, Role.MEMBER), client_for(company, Role.MEMBER)  # a new member: new names
    tree = reverse("objectives:cascade", kwargs={"company_slug": company.slug})
    query = {"cycle": big_cycle.pk, "partial": "tree"}
    first = client.get(tree, query, HTTP_ACCEPT_ENCODING="gzip")
    second = other.get(tree, query, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert first["Content-Encoding"] == second["Content-Encoding"] == "gzip"
    assert first.content == second.content  # one stored stream (GZipMiddleware's random padding would differ)
    assert first["ETag"].startswith('W/"') and "Accept-Encoding" in first["Vary"]
    assert client.get(tree, query, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    objective = big_cycle.objectives.order_by("pk").first()
    objective.title = "Neu benannt im Workshop"
    objective.save()
    changed = client.get(tree, query, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert "Neu benannt im Workshop" in gzip.decompress(changed.content).decode()
