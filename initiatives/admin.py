"""Admin of initiatives and ratings: workflow fields read-only, actions call services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.htmx import error_messages

from .models import Initiative, InitiativeRating, PrioritySettings
from .services import initiatives as services


def _run(modeladmin, request, queryset, action, done_message):
    done = 0
    for obj in queryset:
        try:
            action(obj, request.user)
            done += 1
        except (ValidationError, DomainError) as exc:
            modeladmin.message_user(request, f"{obj}: {' '.join(error_messages(exc))}", level=messages.ERROR)
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, level=messages.SUCCESS)


def _state_action(name: str, label, service):
    def action(modeladmin, request, queryset):
        _run(
            modeladmin,
            request,
            queryset,
            lambda obj, user: service(initiative=obj, actor=user),
            _("%(count)d initiatives changed."),
        )

    action.__name__ = name
    action.short_description = label
    return action


class RatingInline(admin.TabularInline):
    model = InitiativeRating
    extra = 0
    fields = ["rater", "contribution", "effort", "updated_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = ["title", "company", "cycle", "state", "estimated_cost", "final_contribution", "final_effort"]
    list_filter = ["state", "company", "cycle"]
    search_fields = ["title", "description"]
    list_select_related = ["company", "cycle"]
    autocomplete_fields = ["owner"]
    filter_horizontal = ["key_results"]
    readonly_fields = ["state", "final_contribution", "final_effort", "final_set_by", "final_set_at"]
    inlines = [RatingInline]
    actions = [
        _state_action(
            "activate", _("Activate (respects key results and the focus limit)"), services.initiative_activate
        ),
        _state_action("pause", _("Pause"), services.initiative_pause),
        _state_action("complete", _("Mark as done"), services.initiative_complete),
        _state_action("drop", _("Drop"), services.initiative_drop),
    ]


@admin.register(InitiativeRating)
class InitiativeRatingAdmin(admin.ModelAdmin):
    """Ratings are given on the rating view; here they are only read."""

    list_display = ["initiative", "rater", "contribution", "effort", "updated_at"]
    list_filter = ["company", "initiative__cycle"]
    list_select_related = ["initiative", "rater"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _round_action(name: str, label, service):
    def action(modeladmin, request, queryset):
        _run(
            modeladmin,
            request,
            queryset,
            lambda obj, user: service(cycle=obj.cycle, actor=user),
            _("%(count)d rating rounds changed."),
        )

    action.__name__ = name
    action.short_description = label
    return action


@admin.register(PrioritySettings)
class PrioritySettingsAdmin(admin.ModelAdmin):
    list_display = ["cycle", "company", "rating_state", "revealed", "focus_limit", "midpoint", "updated_at"]
    list_filter = ["company", "rating_state", "revealed"]
    list_select_related = ["cycle", "company"]
    readonly_fields = ["company", "cycle", "rating_state", "revealed", "updated_by", "updated_at"]
    actions = [
        _round_action("open_rating", _("Open rating"), services.rating_round_open),
        _round_action("close_rating", _("Close rating"), services.rating_round_close),
        _round_action("reveal_ratings", _("Reveal ratings"), services.rating_round_reveal),
        _round_action("conceal_ratings", _("Hide ratings"), services.rating_round_conceal),
    ]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        # focus limit and midpoint go through the service (validation, who changed it)
        services.priority_settings_update(
            cycle=obj.cycle, focus_limit=obj.focus_limit, midpoint=obj.midpoint, actor=request.user
        )
