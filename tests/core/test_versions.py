"""core.versions: data versions that make a cached read fresh after every committed change, also when a reader
races the commit; core.conditional: ETag comparison."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import RequestFactory

from core import conditional, versions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_bump_changes_the_version_at_once_and_again_after_the_commit(company, django_capture_on_commit_callbacks):
    before = versions.versions(company.pk, ("okr",))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        versions.bump("okr", company_id=company.pk)
        versions.bump("okr", company_id=company.pk)  # the post-commit bump is registered once
        inside = versions.versions(company.pk, ("okr",))
        assert inside != before
    after = versions.versions(company.pk, ("okr",))
    assert len(callbacks) == 1 and after not in (before, inside)


def test_a_reader_racing_the_commit_never_keeps_old_data_under_the_new_version(
    company, django_capture_on_commit_callbacks
):
    """The reader takes the version inside the writer's transaction (after the immediate bump, before the commit)
    and stores what it read then — old data. Once committed, the version has moved on: nobody reads that entry."""
    rendered = []

    def read(data):
        key = versions.fragment_key("race", versions.versions(company.pk, ("okr",)))
        value, _hit = versions.fragment(key, lambda: data)
        rendered.append(value)

    read("old")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        versions.bump("okr", company_id=company.pk)
        read("old")  # a concurrent reader that does not see the uncommitted row yet
    read("new")
    assert rendered == ["old", "old", "new"]


def test_a_lost_version_is_replaced_by_a_new_token(company):
    from django.core.cache import cache

    first = versions.versions(company.pk, ("board",))
    cache.delete(versions._key("board", company.pk))
    assert versions.versions(company.pk, ("board",)) != first


def test_saves_of_tracked_models_bump_but_signing_in_does_not(company):
    user = UserFactory()
    people = versions.versions(None, ("people",))
    user.save(update_fields=["last_login"])
    assert versions.versions(None, ("people",)) == people
    user.first_name = "Erika"
    user.save()
    assert versions.versions(None, ("people",)) != people
    company_version = versions.versions(company.pk, ("company",))
    company.currency = "USD"
    company.save()
    assert versions.versions(company.pk, ("company",)) != company_version


def test_versions_are_per_company(company, other_company):
    mine = versions.versions(company.pk, ("okr",))
    theirs = versions.versions(other_company.pk, ("okr",))
    versions.bump("okr", company_id=other_company.pk)
    assert versions.versions(company.pk, ("okr",)) == mine
    assert versions.versions(other_company.pk, ("okr",)) != theirs


@pytest.mark.parametrize(
    ("header", "matches"),
    [('"abc"', True), ('W/"abc"', True), ('"x", "abc"', True), ("*", True), ('"abd"', False), ("", False)],
)
def test_if_none_match_is_compared_weakly(header, matches):
    request = RequestFactory().get("/", HTTP_IF_NONE_MATCH=header) if header else RequestFactory().get("/")
    assert conditional.client_has(request, '"abc"') is matches
    assert conditional.client_has(RequestFactory().post("/", HTTP_IF_NONE_MATCH=header), '"abc"') is False


def test_readers_of_a_new_fragment_wait_for_the_one_rendering_it():
    """When a change makes a fragment new for everybody at once, one reader renders it; the others wait for its
    result instead of rendering the same fragment side by side."""
    import threading
    import uuid

    key = versions.fragment_key("dogpile", uuid.uuid4().hex)
    started, release = threading.Event(), threading.Event()
    renders = []

    def slow():
        renders.append("first")
        started.set()
        release.wait(5)
        return "rendered once"

    results = {}
    first = threading.Thread(target=lambda: results.setdefault("first", versions.fragment(key, slow)))
    first.start()
    assert started.wait(5)
    second = threading.Thread(
        target=lambda: results.setdefault("second", versions.fragment(key, lambda: renders.append("second") or "x"))
    )
    second.start()
    release.set()
    first.join(5)
    second.join(5)
    assert renders == ["first"]
    assert results == {"first": ("rendered once", False), "second": ("rendered once", True)}


def test_a_failed_render_lets_the_waiting_reader_render():
    import threading
    import uuid

    key = versions.fragment_key("dogpile", uuid.uuid4().hex)
    started, release = threading.Event(), threading.Event()

    def failing():
        started.set()
        release.wait(5)
        raise RuntimeError("the database went away")

    def run_failing():
        with pytest.raises(RuntimeError):
            versions.fragment(key, failing)

    first = threading.Thread(target=run_failing)
    first.start()
    assert started.wait(5)
    results = []
    second = threading.Thread(target=lambda: results.append(versions.fragment(key, lambda: "rendered here")))
    second.start()
    release.set()
    first.join(5)
    second.join(5)
    assert results == [("rendered here", False)]
