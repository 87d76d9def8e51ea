"""Rules of the priority matrix: median and spread, quadrant and rank, focus limit, activation, rating round."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from companies.permissions import Role
from core.errors import PermissionDenied
from initiatives.models import Initiative, InitiativeRating, PrioritySettings
from initiatives.selectors import initiatives as selectors
from initiatives.selectors.initiatives import BIG_BETS, FILL_INS, QUICK_WINS, TIME_SINKS, median, quadrant
from initiatives.services import initiatives as services
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.initiatives.factories import InitiativeFactory, InitiativeRatingFactory, PrioritySettingsFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(company):
    return CycleFactory(company=company, name="2026")


@pytest.fixture
def key_result(cycle):
    return KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))


@pytest.fixture
def facilitator(company, make_member):
    return make_member(company, Role.FACILITATOR)


def rate(initiative, make_member, *pairs):
    for contribution, effort in pairs:
        InitiativeRatingFactory(
            initiative=initiative,
            rater=make_member(initiative.company),
            contribution=contribution,
            effort=effort,
        )


def point_of(matrix, initiative):
    return next(p for p in matrix.points if p.id == initiative.pk)


# -- median, spread ----------------------------------------------------------------------------------------------


def test_median_of_odd_and_even_counts():
    assert median([5, 1, 3]) == Decimal("3")
    assert median([4, 1, 5, 2]) == Decimal("3")  # (2 + 4) / 2
    assert median([3, 4]) == Decimal("3.5")
    assert median([2]) == Decimal("2")
    assert median([]) is None
    assert isinstance(median([1, 2]), Decimal)


def test_matrix_point_has_median_and_spread(company, cycle, make_member, facilitator):
    odd = InitiativeFactory(cycle=cycle, title="Odd")
    even = InitiativeFactory(cycle=cycle, title="Even")
    rate(odd, make_member, (5, 1), (2, 4), (4, 2))
    rate(even, make_member, (1, 5), (4, 2), (5, 1), (2, 2))
    matrix = selectors.priority_matrix(company=company, cycle=cycle, viewer=facilitator, can_manage=True)
    p = point_of(matrix, odd)
    assert (p.contribution, p.effort) == (Decimal(4), Decimal(2))
    assert (p.contribution_spread.minimum, p.contribution_spread.maximum) == (2, 5)
    assert str(p.effort_spread) == "1–4"
    assert p.rating_count == 3
    q = point_of(matrix, even)
    assert (q.contribution, q.effort) == (Decimal("3"), Decimal("2"))  # (2+4)/2 and (2+2)/2
    assert str(q.contribution_spread) == "1–5"
    assert q.contribution_spread.is_wide


# -- quadrant and rank -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contribution", "effort", "midpoint", "expected"),
    [
        (5, 1, 3, QUICK_WINS),
        (4, 4, 3, BIG_BETS),
        (2, 2, 3, FILL_INS),
        (1, 5, 3, TIME_SINKS),
        (3, 3, 3, FILL_INS),  # on the midpoint counts as low
        (Decimal("3.5"), 3, 3, QUICK_WINS),
        (3, Decimal("3.5"), 3, TIME_SINKS),
        (3, 3, Decimal("2.5"), BIG_BETS),  # a lower midpoint makes 3 high
        (4, 4, Decimal("4"), FILL_INS),
    ],
)
def test_quadrant_rules(contribution, effort, midpoint, expected):
    assert quadrant(Decimal(contribution), Decimal(effort), Decimal(midpoint)) == expected


def test_rank_by_priority_ties_by_contribution_and_full_ties_share_a_rank(company, cycle, make_member, facilitator):
    a = InitiativeFactory(cycle=cycle, title="A 4/2")  # priority 2, contribution 4
    b = InitiativeFactory(cycle=cycle, title="B 2/1")  # priority 2, contribution 2 -> after A
    c = InitiativeFactory(cycle=cycle, title="C 5/1")  # priority 5
    d = InitiativeFactory(cycle=cycle, title="D 4/2 twin")  # full tie with A -> same rank
    e = InitiativeFactory(cycle=cycle, title="E 1/5")
    unrated = InitiativeFactory(cycle=cycle, title="F unrated")
    rate(a, make_member, (4, 2))
    rate(b, make_member, (2, 1))
    rate(c, make_member, (5, 1))
    rate(d, make_member, (4, 2))
    rate(e, make_member, (1, 5))
    matrix = selectors.priority_matrix(company=company, cycle=cycle, viewer=facilitator, can_manage=True)
    order = [(p.title, p.rank) for p in matrix.points]
    assert order == [("C 5/1", 1), ("A 4/2", 2), ("D 4/2 twin", 2), ("B 2/1", 4), ("E 1/5", 5), ("F unrated", None)]
    assert point_of(matrix, c).priority == Decimal("5.00")
    assert point_of(matrix, e).priority == Decimal("0.20")
    assert point_of(matrix, unrated).quadrant is None


def test_midpoint_setting_moves_quadrants(company, cycle, make_member, facilitator):
    initiative = InitiativeFactory(cycle=cycle)
    rate(initiative, make_member, (3, 3))
    matrix = selectors.priority_matrix(company=company, cycle=cycle, viewer=facilitator, can_manage=True)
    assert point_of(matrix, initiative).quadrant == FILL_INS
    services.priority_settings_update(cycle=cycle, midpoint="2.5", actor=facilitator)
    matrix = selectors.priority_matrix(company=company, cycle=cycle, viewer=facilitator, can_manage=True)
    assert point_of(matrix, initiative).quadrant == BIG_BETS


def test_midpoint_outside_the_scale_is_refused(cycle, facilitator):
    for bad in ["1", "5", "0", "x", "3.3"]:
        with pytest.raises(ValidationError) as exc:
            services.priority_settings_update(cycle=cycle, midpoint=bad, actor=facilitator)
        assert "midpoint" in exc.value.message_dict
    assert not PrioritySettings.objects.filter(cycle=cycle).exclude(midpoint=Decimal(3)).exists()


def test_final_values_override_the_median_and_are_recorded(company, cycle, make_member, facilitator):
    initiative = InitiativeFactory(cycle=cycle)
    rate(initiative, make_member, (2, 4), (2, 4), (3, 5))
    services.initiative_set_final_values(initiative=initiative, contribution="4.5", effort=None, actor=facilitator)
    initiative.refresh_from_db()
    assert initiative.final_contribution == Decimal("4.5")
    assert initiative.final_set_by == facilitator
    assert initiative.final_set_at is not None
    p = point_of(
        selectors.priority_matrix(company=company, cycle=cycle, viewer=facilitator, can_manage=True), initiative
    )
    assert p.contribution == Decimal("4.5") and p.contribution_is_final
    assert p.median_contribution == Decimal(2)
    assert p.effort == Decimal(4) and not p.effort_is_final
    assert p.quadrant == BIG_BETS
    services.initiative_set_final_values(initiative=initiative, contribution="", effort="", actor=facilitator)
    initiative.refresh_from_db()
    assert initiative.final_contribution is None and initiative.final_set_at is None


def test_final_values_outside_the_scale_are_refused(cycle, facilitator):
    initiative = InitiativeFactory(cycle=cycle)
    with pytest.raises(ValidationError) as exc:
        services.initiative_set_final_values(initiative=initiative, contribution="6", effort="3.3", actor=facilitator)
    assert set(exc.value.message_dict) == {"final_contribution", "final_effort"}


def test_a_member_cannot_set_final_values(company, cycle, make_member):
    initiative = InitiativeFactory(cycle=cycle)
    with pytest.raises(PermissionDenied):
        services.initiative_set_final_values(
            initiative=initiative, contribution=5, effort=1, actor=make_member(company, Role.MEMBER)
        )


# -- activation and focus limit ----------------------------------------------------------------------------------


def test_activation_needs_a_key_result_of_the_same_cycle(company, cycle, facilitator):
    initiative = InitiativeFactory(cycle=cycle)
    with pytest.raises(ValidationError) as exc:
        services.initiative_activate(initiative=initiative, actor=facilitator)
    assert "key_results" in exc.value.message_dict
    other_cycle_kr = KeyResultFactory(objective=ObjectiveFactory(cycle=CycleFactory(company=company)))
    initiative.key_results.add(other_cycle_kr)  # a direct write cannot smuggle in a foreign key result
    with pytest.raises(ValidationError):
        services.initiative_activate(initiative=initiative, actor=facilitator)
    initiative.refresh_from_db()
    assert initiative.state == Initiative.State.PROPOSED


def test_binding_a_key_result_of_another_cycle_or_company_is_refused(company, other_company, cycle, facilitator):
    foreign = KeyResultFactory(objective=ObjectiveFactory(cycle=CycleFactory(company=other_company)))
    with pytest.raises(ValidationError) as exc:
        services.initiative_create(company=company, cycle=cycle, title="X", key_results=[foreign], actor=facilitator)
    assert "key_results" in exc.value.message_dict
    assert not Initiative.objects.filter(title="X").exists()


def test_focus_limit_refuses_one_more_and_names_the_limit(cycle, key_result, facilitator):
    services.priority_settings_update(cycle=cycle, focus_limit=2, actor=facilitator)
    initiatives = [InitiativeFactory(cycle=cycle, key_results=[key_result]) for _ in range(3)]
    services.initiative_activate(initiative=initiatives[0], actor=facilitator)
    services.initiative_activate(initiative=initiatives[1], actor=facilitator)
    with pytest.raises(ValidationError) as exc:
        services.initiative_activate(initiative=initiatives[2], actor=facilitator)
    assert exc.value.message_dict["state"] == [
        "The focus limit of this cycle is 2 active initiatives and it is reached. "
        "Pause, finish or drop one before activating another."
    ]
    assert Initiative.objects.filter(cycle=cycle, state="active").count() == 2
    services.initiative_pause(initiative=initiatives[0], actor=facilitator)
    services.initiative_activate(initiative=initiatives[2], actor=facilitator)
    assert Initiative.objects.filter(cycle=cycle, state="active").count() == 2


def test_focus_limit_counts_per_cycle(company, cycle, key_result, facilitator):
    services.priority_settings_update(cycle=cycle, focus_limit=1, actor=facilitator)
    other = CycleFactory(company=company, name="other")
    other_kr = KeyResultFactory(objective=ObjectiveFactory(cycle=other))
    InitiativeFactory(cycle=other, key_results=[other_kr], state=Initiative.State.ACTIVE)
    services.initiative_activate(initiative=InitiativeFactory(cycle=cycle, key_results=[key_result]), actor=facilitator)


def test_state_transitions(cycle, key_result, facilitator):
    initiative = InitiativeFactory(cycle=cycle, key_results=[key_result])
    with pytest.raises(ValidationError):
        services.initiative_pause(initiative=initiative, actor=facilitator)  # proposed cannot be paused
    services.initiative_activate(initiative=initiative, actor=facilitator)
    services.initiative_pause(initiative=initiative, actor=facilitator)
    services.initiative_complete(initiative=initiative, actor=facilitator)
    with pytest.raises(ValidationError) as exc:
        services.initiative_activate(initiative=initiative, actor=facilitator)
    assert "cannot become active" in exc.value.message_dict["state"][0]
    initiative.refresh_from_db()
    assert initiative.state == Initiative.State.DONE


def test_executive_and_member_cannot_change_state(company, cycle, key_result, make_member):
    initiative = InitiativeFactory(cycle=cycle, key_results=[key_result])
    for role in (Role.EXECUTIVE, Role.MEMBER):
        with pytest.raises(PermissionDenied):
            services.initiative_activate(initiative=initiative, actor=make_member(company, role))
    initiative.refresh_from_db()
    assert initiative.state == Initiative.State.PROPOSED


def test_an_active_initiative_keeps_at_least_one_key_result(cycle, key_result, facilitator):
    initiative = InitiativeFactory(cycle=cycle, key_results=[key_result])
    services.initiative_activate(initiative=initiative, actor=facilitator)
    with pytest.raises(ValidationError) as exc:
        services.initiative_update(initiative=initiative, key_results=[], actor=facilitator)
    assert "key_results" in exc.value.message_dict
    assert initiative.key_results.count() == 1


# -- ratings -----------------------------------------------------------------------------------------------------


def test_rating_only_while_open_and_changeable_until_closed(company, cycle, facilitator, make_member):
    member = make_member(company, Role.MEMBER)
    initiative = InitiativeFactory(cycle=cycle)
    with pytest.raises(ValidationError) as exc:
        services.initiative_rate(initiative=initiative, contribution=4, effort=2, actor=member)
    assert "closed" in exc.value.messages[0]
    services.rating_round_open(cycle=cycle, actor=facilitator)
    rating, created = services.initiative_rate(initiative=initiative, contribution=4, effort=2, actor=member)
    assert created
    rating, created = services.initiative_rate(initiative=initiative, contribution=5, effort=1, actor=member)
    assert not created
    assert InitiativeRating.objects.filter(initiative=initiative).count() == 1
    assert (rating.contribution, rating.effort) == (5, 1)
    services.rating_round_close(cycle=cycle, actor=facilitator)
    with pytest.raises(ValidationError):
        services.initiative_rate(initiative=initiative, contribution=1, effort=1, actor=member)
    rating.refresh_from_db()
    assert (rating.contribution, rating.effort) == (5, 1)


def test_rating_values_are_checked(company, cycle, make_member):
    PrioritySettingsFactory(cycle=cycle, rating_state="open")
    initiative = InitiativeFactory(cycle=cycle)
    member = make_member(company)
    with pytest.raises(ValidationError) as exc:
        services.initiative_rate(initiative=initiative, contribution=0, effort=6, actor=member)
    assert set(exc.value.message_dict) == {"contribution", "effort"}
    assert not InitiativeRating.objects.exists()


def test_dropped_initiatives_are_not_rated(company, cycle, make_member):
    PrioritySettingsFactory(cycle=cycle, rating_state="open")
    initiative = InitiativeFactory(cycle=cycle, state=Initiative.State.DROPPED)
    with pytest.raises(ValidationError):
        services.initiative_rate(initiative=initiative, contribution=3, effort=3, actor=make_member(company))


def test_database_keeps_one_rating_per_rater_and_the_scale(cycle, make_member, company):
    initiative = InitiativeFactory(cycle=cycle)
    rater = make_member(company)
    InitiativeRatingFactory(initiative=initiative, rater=rater)
    with pytest.raises(IntegrityError), transaction.atomic():
        InitiativeRating.objects.create(company=company, initiative=initiative, rater=rater, contribution=2, effort=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        InitiativeRating.objects.create(
            company=company, initiative=initiative, rater=make_member(company), contribution=6, effort=2
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Initiative.objects.filter(pk=initiative.pk).update(final_contribution=Decimal(3))  # without final_set_at
    with pytest.raises(IntegrityError), transaction.atomic():
        PrioritySettings.objects.create(company=company, cycle=cycle, focus_limit=0)


def test_only_moderators_run_the_rating_round(company, cycle, make_member):
    for role in (Role.EXECUTIVE, Role.MEMBER):
        with pytest.raises(PermissionDenied):
            services.rating_round_open(cycle=cycle, actor=make_member(company, role))
    for role in (Role.FACILITATOR, Role.CMO):
        services.rating_round_reveal(cycle=cycle, actor=make_member(company, role))
    assert PrioritySettings.objects.get(cycle=cycle).revealed


def test_scores_are_hidden_from_participants_until_revealed(company, cycle, make_member, facilitator):
    initiative = InitiativeFactory(cycle=cycle)
    member = make_member(company, Role.MEMBER)
    InitiativeRatingFactory(initiative=initiative, rater=member, contribution=5, effort=1)
    rate(initiative, make_member, (1, 5))
    hidden = point_of(selectors.priority_matrix(company=company, cycle=cycle, viewer=member), initiative)
    assert hidden.contribution is None and hidden.median_contribution is None and hidden.rank is None
    assert (hidden.my_contribution, hidden.my_effort) == (5, 1)
    assert [r.rater for r in selectors.initiative_ratings(initiative=initiative, viewer=member)] == [member]
    moderator_view = selectors.priority_matrix(company=company, cycle=cycle, viewer=facilitator, can_manage=True)
    assert point_of(moderator_view, initiative).contribution == Decimal(3)
    services.rating_round_reveal(cycle=cycle, actor=facilitator)
    revealed = point_of(selectors.priority_matrix(company=company, cycle=cycle, viewer=member), initiative)
    assert revealed.contribution == Decimal(3) and revealed.rank == 1
    assert len(selectors.initiative_ratings(initiative=initiative, viewer=member)) == 2


def test_active_count_compared_with_the_previous_cycle(company, key_result, cycle, facilitator):
    import datetime as dt

    previous = CycleFactory(
        company=company, name="2025", start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31)
    )
    for _ in range(10):
        InitiativeFactory(cycle=previous, state=Initiative.State.ACTIVE)
    for _ in range(6):
        InitiativeFactory(cycle=cycle, state=Initiative.State.ACTIVE, key_results=[key_result])
    matrix = selectors.priority_matrix(company=company, cycle=cycle, viewer=facilitator, can_manage=True)
    assert matrix.previous_cycle == previous
    assert matrix.previous_active_count == 10
    assert matrix.change_vs_previous == -40
    assert matrix.change_display == "−40 %"
