"""Teams as company data: the members page (list, add, rename, delete with confirmation), the API, the rules behind
them (unique per company whatever the case, a team owning objectives stays) and History."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from companies import services
from companies.models import Invitation, Membership, Team
from companies.permissions import Role
from history.models import ChangeRecord
from tests.factories import InvitationFactory, MembershipFactory, ObjectiveFactory, TeamFactory, UserFactory


def _page(client, company, language="en") -> str:
    client.cookies["django_language"] = language
    return client.get(f"/c/{company.slug}/members/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


@pytest.mark.django_db
def test_empty_state_then_a_facilitator_adds_teams_in_either_language(company, client_for):
    facilitator = client_for(company, Role.FACILITATOR)
    assert "Noch keine Teams." in _page(facilitator, company, "de")
    assert "No teams yet." in _page(facilitator, company)

    added = facilitator.post(f"/c/{company.slug}/members/teams/", {"name": "  Vertrieb  ", "kind": "sales"})
    assert added.status_code == 302 and added["Location"] == f"/c/{company.slug}/members/#teams"
    team = Team.objects.get(company=company)
    assert (team.name, team.kind) == ("Vertrieb", "sales")
    page = _page(facilitator, company)
    assert "Team “Vertrieb” added." in page and 'data-team="Vertrieb"' in page and "No teams yet." not in page

    twice = facilitator.post(f"/c/{company.slug}/members/teams/", {"name": "vertrieb", "kind": "other"})
    assert twice.status_code == 400 and "There is a team named “vertrieb” already." in twice.content.decode()
    blank = facilitator.post(f"/c/{company.slug}/members/teams/", {"name": "   ", "kind": "other"})
    assert blank.status_code == 400
    assert Team.objects.filter(company=company).count() == 1


@pytest.mark.django_db
def test_only_those_who_manage_members_manage_teams(company, client_for):
    team = TeamFactory(company=company, name="Marketing")
    member = client_for(company, Role.MEMBER)
    page = _page(member, company)
    assert 'data-team="Marketing"' in page and "Add team" not in page and "Delete…" not in page
    assert member.post(f"/c/{company.slug}/members/teams/", {"name": "X", "kind": "other"}).status_code == 403
    assert member.post(f"/c/{company.slug}/members/teams/{team.pk}/", {f"t{team.pk}-name": "Y"}).status_code == 403
    assert member.post(f"/c/{company.slug}/members/teams/{team.pk}/delete/").status_code == 403
    for role in (Role.FACILITATOR, Role.EXECUTIVE, Role.CMO):
        assert "Add team" in _page(client_for(company, role), company)
    assert list(Team.objects.values_list("name", flat=True)) == ["Marketing"]


@pytest.mark.django_db
def test_another_companys_team_is_a_404(company, other_company, client_for):
    stranger = TeamFactory(company=other_company, name="Fremd")
    facilitator = client_for(company, Role.FACILITATOR)
    base = f"/c/{company.slug}/members/teams/{stranger.pk}"
    assert (
        facilitator.post(f"{base}/", {f"t{stranger.pk}-name": "Meins", f"t{stranger.pk}-kind": "other"}).status_code
        == 404
    )
    assert facilitator.get(f"{base}/delete/").status_code == 404
    assert facilitator.post(f"{base}/delete/").status_code == 404
    member = Membership.objects.get(user=facilitator.user)
    other = MembershipFactory(company=company, role=Role.MEMBER)
    data = {f"m{other.pk}-role": "member", f"m{other.pk}-team": stranger.pk}
    refused = facilitator.post(f"/c/{company.slug}/members/{other.pk}/", data, follow=True)
    assert "Select a valid choice" in refused.content.decode()
    assert Membership.objects.get(pk=other.pk).team is None and member.team is None
    assert Team.objects.get(pk=stranger.pk).name == "Fremd"


@pytest.mark.django_db
def test_rename_and_kind_keep_members_and_objectives_and_are_in_history(company, client_for):
    facilitator = client_for(company, Role.FACILITATOR)
    team = TeamFactory(company=company, name="Sales", kind="other")
    membership = MembershipFactory(company=company, team=team)
    objective = ObjectiveFactory(company=company, cycle__company=company, team=team)
    response = facilitator.post(
        f"/c/{company.slug}/members/teams/{team.pk}/", {f"t{team.pk}-name": "Vertrieb", f"t{team.pk}-kind": "sales"}
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.kind) == ("Vertrieb", "sales")
    assert Membership.objects.get(pk=membership.pk).team == team
    assert type(objective).objects.get(pk=objective.pk).team == team
    record = ChangeRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(Team), object_id=team.pk, action="updated"
    ).get()
    assert record.changes == {"name": ["Sales", "Vertrieb"], "kind": ["other", "sales"]}
    assert record.actor_id == facilitator.user.pk


@pytest.mark.django_db
def test_delete_asks_first_and_leaves_members_without_a_team(company, client_for):
    facilitator = client_for(company, Role.FACILITATOR)
    team = TeamFactory(company=company, name="Events")
    membership = MembershipFactory(company=company, team=team)
    invitation = InvitationFactory(company=company, team=team)
    ask = facilitator.get(f"/c/{company.slug}/members/teams/{team.pk}/delete/")
    body = ask.content.decode()
    assert ask.status_code == 200 and "Delete the team “Events”?" in body
    assert "1 member will have no team." in body and "1 open invitation will be for no team." in body
    assert Team.objects.filter(pk=team.pk).exists()  # asking changes nothing

    done = facilitator.post(f"/c/{company.slug}/members/teams/{team.pk}/delete/", follow=True)
    assert "Team “Events” deleted." in done.content.decode()
    assert not Team.objects.filter(pk=team.pk).exists()
    assert Membership.objects.get(pk=membership.pk).team is None
    assert Invitation.objects.get(pk=invitation.pk).team is None
    types = ContentType.objects.get_for_models(Team, Membership, Invitation)
    changes = {
        (ct.model, record.action)
        for ct in types.values()
        for record in ChangeRecord.objects.filter(content_type=ct, company=company).exclude(action="created")
    }
    assert changes == {("team", "deleted"), ("membership", "updated"), ("invitation", "updated")}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("en", "“Vertrieb” is the team of 2 objectives, so it cannot be deleted."),
        ("de", "„Vertrieb“ ist das Team von 2 Zielen und kann deshalb nicht gelöscht werden."),
    ],
)
def test_a_team_owning_objectives_is_not_deleted(company, client_for, language, refusal):
    facilitator = client_for(company, Role.FACILITATOR)
    facilitator.cookies["django_language"] = language
    team = TeamFactory(company=company, name="Vertrieb", kind="sales")
    ObjectiveFactory.create_batch(2, company=company, cycle__company=company, team=team)
    ask = facilitator.get(f"/c/{company.slug}/members/teams/{team.pk}/delete/", HTTP_ACCEPT_LANGUAGE=language)
    assert refusal in ask.content.decode() and 'type="submit"' not in ask.content.decode().split("<main")[-1]
    done = facilitator.post(
        f"/c/{company.slug}/members/teams/{team.pk}/delete/", follow=True, HTTP_ACCEPT_LANGUAGE=language
    )
    assert done.status_code == 200 and Team.objects.filter(pk=team.pk).exists()
    assert ("2 objectives" if language == "en" else "2 Zielen") in done.content.decode()


@pytest.mark.django_db
def test_members_page_shows_team_choosers_and_keeps_its_query_count(company, client_for, django_assert_max_num_queries):
    facilitator = client_for(company, Role.FACILITATOR)
    marketing = TeamFactory(company=company, name="Marketing", kind="marketing")
    MembershipFactory(company=company, team=marketing, user=UserFactory(first_name="Jonas", last_name="Weber"))
    InvitationFactory(company=company, team=marketing, email="nina@acme.example")
    page = _page(facilitator, company)
    assert f'<option value="{marketing.pk}" selected>Marketing</option>' in page  # Jonas's row
    assert page.count(f'<option value="{marketing.pk}"') == 2  # the invitation form and Jonas's row

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert facilitator.get(f"/c/{company.slug}/members/").status_code == 200
        return len(queries)

    small = count()
    for n in range(12):
        team = TeamFactory(company=company, name=f"Team {n}")
        MembershipFactory(company=company, team=team)
        InvitationFactory(company=company, team=team)
        ObjectiveFactory(company=company, cycle__company=company, team=team)
    assert count() == small


@pytest.mark.django_db
def test_teams_api(company, other_company, api_client_for):
    api = api_client_for(company, Role.EXECUTIVE)
    base = f"/api/v1/companies/{company.slug}"
    created = api.post(f"{base}/teams/", {"name": "Management", "kind": "company"}, format="json")
    assert created.status_code == 201
    team_id = created.json()["id"]
    assert created.json() == {"id": team_id, "name": "Management", "kind": "company", "members": 0, "objectives": 0}
    twice = api.post(f"{base}/teams/", {"name": "MANAGEMENT"}, format="json")
    assert twice.status_code == 400 and "There is a team named “MANAGEMENT” already." in str(twice.json())
    renamed = api.patch(f"{base}/teams/{team_id}/", {"name": "Geschäftsführung"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Geschäftsführung"
    assert [t["name"] for t in api.get(f"{base}/teams/").json()] == ["Geschäftsführung"]

    invited = api.post(f"{base}/invitations/", {"email": "a@acme.example", "team": team_id}, format="json")
    assert invited.status_code == 201
    assert invited.json()["team"] == {"id": team_id, "name": "Geschäftsführung", "kind": "company"}
    stranger = TeamFactory(company=other_company, name="Fremd")
    foreign = api.post(f"{base}/invitations/", {"email": "b@acme.example", "team": stranger.pk}, format="json")
    assert foreign.status_code == 400 and f"No team with id {stranger.pk} in this company." in str(foreign.json())
    assert api.get(f"{base}/teams/{stranger.pk}/").status_code == 404
    assert api.delete(f"{base}/teams/{stranger.pk}/").status_code == 404

    ObjectiveFactory(company=company, cycle__company=company, team_id=team_id)
    refused = api.delete(f"{base}/teams/{team_id}/")
    assert refused.status_code == 400 and "is the team of 1 objective" in str(refused.json())
    member = api_client_for(company, Role.MEMBER)
    assert member.get(f"{base}/teams/").status_code == 200
    assert member.post(f"{base}/teams/", {"name": "X"}, format="json").status_code == 403
    empty = api.post(f"{base}/teams/", {"name": "Leer"}, format="json").json()["id"]
    assert api.delete(f"{base}/teams/{empty}/").status_code == 204


@pytest.mark.django_db
def test_team_for_name_finds_names_and_the_standard_values_of_earlier_exports(company):
    sales = TeamFactory(company=company, name="Vertrieb", kind="sales")
    assert services.team_for_name(company=company, name=" vertrieb ") == sales
    assert services.team_for_name(company=company, name="sales") == sales
    assert services.team_for_name(company=company, name="Marketing") is None
    assert services.team_for_name(company=company, name="") is None


@pytest.mark.django_db
def test_the_database_refuses_a_second_team_of_the_same_name_in_any_case(company, other_company):
    from django.db import IntegrityError, transaction

    Team.objects.create(company=company, name="Vertrieb")
    Team.objects.create(company=other_company, name="Vertrieb")  # another company may
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(company=company, name="VERTRIEB")
