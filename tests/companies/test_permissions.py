"""The permission table: one place says what each role may do; pages and API obey it."""

import pytest

from companies.permissions import OUTSIDER_ROLES, PERMISSIONS, Action, Role, allowed_actions, can, require
from core.errors import PermissionDenied

pytestmark = pytest.mark.django_db


def test_every_role_has_an_entry_and_every_action_a_label():
    from companies.permissions import ACTION_LABELS

    assert set(PERMISSIONS) == set(Role.values)
    assert set(ACTION_LABELS) == set(Action)


@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        (Role.FACILITATOR, Action.CASCADE_EDIT, Action.BUDGET_APPROVE),
        (Role.CMO, Action.BUDGET_APPROVE, Action.BUDGET_APPROVE_ABOVE_THRESHOLD),
        (Role.EXECUTIVE, Action.BUDGET_APPROVE_ABOVE_THRESHOLD, Action.CASCADE_EDIT),
        (Role.MEMBER, Action.MEMBERS_VIEW, Action.MEMBERS_MANAGE),
    ],
)
def test_each_role_is_allowed_and_denied_something(role, allowed, denied):
    assert can(role, allowed) is True
    assert can(role, denied) is False
    require(role, allowed)
    with pytest.raises(PermissionDenied):
        require(role, denied)


def test_no_role_may_do_nothing():
    assert can(None, Action.COMPANY_VIEW) is False
    assert not any(allowed_actions(None).values())


@pytest.mark.parametrize("role", list(Role))
def test_members_api_follows_the_table(company, api_client_for, role):
    client = api_client_for(company, role)
    response = client.get(f"/api/v1/companies/{company.slug}/members/")
    # A partner is an outsider: the members list does not exist for them (404, as for another company).
    expected = 200 if can(role, Action.MEMBERS_VIEW) else 404 if role in OUTSIDER_ROLES else 403
    assert response.status_code == expected
    if expected == 403:
        assert "Your role does not allow this" in response.json()["detail"]
    elif expected == 200:
        assert response.json()["count"] == 1


@pytest.mark.parametrize("role", list(Role))
def test_overview_page_lists_members_only_for_roles_that_may_see_them(company, client_for, role):
    client = client_for(company, role, first_name="Rita", last_name="Rolle")
    page = client.get(f"/c/{company.slug}/").content.decode()
    assert ("Rita Rolle</td>" in page) == can(role, Action.MEMBERS_VIEW)
    assert "What your role may do" in page


def test_require_actor_uses_the_membership_in_that_company(company, other_company, make_member):
    from companies.permissions import require_actor

    facilitator = make_member(company, Role.FACILITATOR)
    require_actor(facilitator, company, Action.CASCADE_EDIT)
    with pytest.raises(PermissionDenied):
        require_actor(facilitator, company, Action.BUDGET_APPROVE)
    with pytest.raises(PermissionDenied):
        require_actor(facilitator, other_company, Action.CASCADE_VIEW)
    require_actor(None, company, Action.BUDGET_APPROVE)  # the system itself (tasks, commands)
