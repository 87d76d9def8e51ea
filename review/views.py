"""The weekly execution review page, its handout (print view) and the action log's htmx partials. Thin: parse
input, call a selector or service, render."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from companies.permissions import Action, can
from companies.tenancy import company_view
from core.errors import DomainError, error_messages
from core.htmx import apply_to_form, htmx_refusal, trigger_toast
from core.tenancy import company_from_request

from . import selectors, services
from .forms import ReviewActionForm


def _week(request: HttpRequest) -> selectors.ReviewWeek:
    raw = request.POST.get("week") if request.method == "POST" else request.GET.get("week")
    return selectors.parse_week((raw or "")[:12], today=timezone.localdate())


def _week_url(company, week: selectors.ReviewWeek) -> str:
    return reverse("review:week", kwargs={"company_slug": company.slug}) + f"?week={week.key}"


def _log_context(request: HttpRequest, week: selectors.ReviewWeek, *, form=None) -> dict:
    company = company_from_request(request)
    role = request.membership.role
    may_manage = can(role, Action.REVIEW_ACTIONS_MANAGE)
    return {
        "week": week,
        "today": timezone.localdate(),
        "actions": selectors.week_actions(company=company, week=week),
        "may_manage": may_manage,
        "may_complete_own": can(role, Action.REVIEW_ACTION_COMPLETE_OWN),
        "form": form if form is not None else (ReviewActionForm(company=company) if may_manage else None),
    }


@require_GET
@company_view(Action.REVIEW_VIEW)
def review_week(request: HttpRequest) -> HttpResponse:
    company = company_from_request(request)
    week = _week(request)
    review = selectors.week_review(company=company, week=week)
    context = {
        **_log_context(request, week),
        "review": review,
        "today_week": selectors.week_of(timezone.localdate()),
        "may_acknowledge": can(request.membership.role, Action.KPI_ALERT_ACKNOWLEDGE),
    }
    return render(request, "review/week.html", context)


@require_GET
@company_view(Action.REVIEW_VIEW)
def review_print(request: HttpRequest) -> HttpResponse:
    """The week's review as a handout: the same sections, compact, for at most two A4 pages."""
    week = _week(request)
    review = selectors.week_review(company=request.company, week=week)
    return render(request, "review/print.html", {"review": review, "week": week, "printed_at": timezone.now()})


def _log_response(request: HttpRequest, week, *, form=None, status: int = 200, toast: str = "") -> HttpResponse:
    response = render(request, "review/_actions.html", _log_context(request, week, form=form), status=status)
    return trigger_toast(response, toast) if toast else response


def _saved(request: HttpRequest, week, text: str) -> HttpResponse:
    """After a change: htmx gets the log back with a toast, a plain form post the page with a message."""
    if request.htmx:
        return _log_response(request, week, toast=text)
    messages.success(request, text)
    return redirect(_week_url(request.company, week))


def _refused_form(request: HttpRequest, week, form, htmx_response) -> HttpResponse:
    """A form with errors: htmx gets ``htmx_response()`` (the form with its errors, 400), a plain post the page with
    the errors as messages."""
    if request.htmx:
        return htmx_response()
    for message in [m for errors in form.errors.values() for m in errors]:
        messages.error(request, message)
    return redirect(_week_url(request.company, week))


def _save(request: HttpRequest, form, save) -> bool:
    """Run ``save(**cleaned_data)`` for a valid form; a service's refusal goes onto the form. True when saved."""
    if not form.is_valid():
        return False
    try:
        save(**form.cleaned_data)
    except (ValidationError, DomainError) as exc:
        apply_to_form(form, exc)
        return False
    return True


@require_POST
@company_view(Action.REVIEW_ACTIONS_MANAGE)
def action_create(request: HttpRequest) -> HttpResponse:
    company = company_from_request(request)
    week = _week(request)
    form = ReviewActionForm(request.POST, company=company)
    if _save(request, form, partial(services.review_action_create, company=company, actor=request.user,
                                    week_start=week.start)):  # fmt: skip
        return _saved(request, week, _("The action is in the log."))
    return _refused_form(request, week, form, lambda: _log_response(request, week, form=form, status=400))


@company_view(Action.REVIEW_ACTIONS_MANAGE)
def action_edit(request: HttpRequest, review_action_id: int) -> HttpResponse:
    """GET: the row as a form (htmx). POST: save it; the log comes back."""
    company = company_from_request(request)
    action = selectors.action_for(company=company, action_id=review_action_id)
    if action is None:
        raise Http404(_("No such action."))
    week = _week(request)
    if request.method == "GET":
        form = ReviewActionForm(
            company=company,
            prefix_id=str(action.pk),
            initial={
                "title": action.title,
                "owner": action.owner_id,
                "due_date": action.due_date,
                "decision": action.decision,
                "objective": action.objective_id,
                "key_result": action.key_result_id,
                "initiative": action.initiative_id,
            },
        )
        context = {"form": form, "action": action, "week": week}
        if not request.htmx:  # a new tab, no JavaScript: the form as a page of its own; its post comes back here
            return render(request, "review/action_edit.html", {**context, "full_page": True})
        return render(request, "review/_action_form.html", context)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    form = ReviewActionForm(request.POST, company=company, prefix_id=str(action.pk))
    if _save(request, form, partial(services.review_action_update, company=company, actor=request.user,
                                    action_id=action.pk)):  # fmt: skip
        return _saved(request, week, _("The action is saved."))
    context = {"form": form, "action": action, "week": week}
    return _refused_form(request, week, form, lambda: render(request, "review/_action_form.html", context, status=400))


@require_POST
@company_view(Action.REVIEW_VIEW)
def action_done(request: HttpRequest, review_action_id: int) -> HttpResponse:
    """Mark an action done (``done=1``) or open again (``done=0``)."""
    company = company_from_request(request)
    week = _week(request)
    done = request.POST.get("done") == "1"
    try:
        services.review_action_set_done(company=company, actor=request.user, action_id=review_action_id, done=done)
    except (ValidationError, DomainError) as exc:
        if request.htmx:
            return htmx_refusal(exc)
        if isinstance(exc, DomainError):
            raise  # the one page error mapping: 403 / 404
        for message in error_messages(exc):
            messages.error(request, message)
        return redirect(_week_url(company, week))
    return _saved(request, week, _("The action is done.") if done else _("The action is open again."))
