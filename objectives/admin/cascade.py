"""Admin of the cascade: workflow fields read-only, actions and edits call services, check-ins read-only.

Objectives and key results are built in the cascade builder (and the API), where every rule is enforced; the admin
edits their texts and owners through the same services and never adds, re-parents or deletes them.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from core.errors import DomainError

from ..models import CascadeSettings, CheckIn, Cycle, KeyResult, Objective, ObjectiveLink, ReminderLog
from ..services import cascade as services


def _run_for_each(modeladmin, request, queryset, service, done_message) -> None:
    done = 0
    for cycle in queryset.select_related("company"):
        try:
            service(cycle=cycle, actor=request.user)
        except (ValidationError, DomainError) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else exc.message
            modeladmin.message_user(request, f"{cycle}: {text}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)


@admin.action(description=_("Activate the selected cycles"))
def activate_cycles(modeladmin, request, queryset):
    _run_for_each(modeladmin, request, queryset, services.cycle_activate, _("%(count)d cycle(s) activated."))


@admin.action(description=_("Reopen planning of the selected cycles"))
def reopen_cycles(modeladmin, request, queryset):
    _run_for_each(modeladmin, request, queryset, services.cycle_reopen, _("%(count)d cycle(s) back in planning."))


@admin.action(description=_("Close the selected cycles (freezes final scores)"))
def close_cycles(modeladmin, request, queryset):
    _run_for_each(modeladmin, request, queryset, services.cycle_close, _("%(count)d cycle(s) closed."))


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "kind", "start_date", "end_date", "state"]
    list_filter = ["state", "kind", "company"]
    search_fields = ["name", "company__name"]
    readonly_fields = ["state", "closed_at", "created_at", "updated_at"]
    actions = [activate_cycles, reopen_cycles, close_cycles]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:  # nesting frames the cascade inside; name and dates change through cycle_update
            fields += ["company", "parent", "kind"]
        return fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:  # name and dates, through the service (its rules and the binding guards of other apps)
            try:
                services.cycle_update(
                    cycle=Cycle.objects.get(pk=obj.pk),
                    actor=request.user,
                    name=obj.name,
                    start_date=obj.start_date,
                    end_date=obj.end_date,
                )
            except (ValidationError, DomainError) as exc:
                text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else exc.message
                self.message_user(request, text, messages.ERROR)
                request._cascade_refused = True
            return
        try:
            created = services.cycle_create(
                company=obj.company,
                name=obj.name,
                kind=obj.kind,
                start_date=obj.start_date,
                end_date=obj.end_date,
                parent=obj.parent,
                actor=request.user,
            )
        except (ValidationError, DomainError) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else exc.message
            self.message_user(request, text, messages.ERROR)
            request._cascade_refused = True
            return
        obj.pk = created.pk

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_cascade_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "_cascade_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)


class KeyResultInline(admin.TabularInline):
    model = KeyResult
    fields = ["title", "kind", "unit", "start_value", "target_value", "current_value", "weight", "owner", "version"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class _ServiceEditAdmin(admin.ModelAdmin):
    """Edits go through the ``update`` service with the stored version (so rules and locks apply)."""

    update_service = None

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if not changes:
            return
        original = type(obj).objects.get(pk=obj.pk)
        try:
            type(self).update_service(
                **{self.instance_arg: original}, version=original.version, actor=request.user, **changes
            )
        except (ValidationError, DomainError) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else exc.message
            self.message_user(request, text, messages.ERROR)
            request._cascade_refused = True

    def response_change(self, request, obj):
        if getattr(request, "_cascade_refused", False):  # stay on the form, no "changed successfully"
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)


@admin.register(Objective)
class ObjectiveAdmin(_ServiceEditAdmin):
    list_display = ["title", "company", "cycle", "team", "owner", "state", "version"]
    list_filter = ["state", "team", "company", "cycle"]
    search_fields = ["title", "description"]
    fields = [
        "company",
        "cycle",
        "parent",
        "position",
        "title",
        "description",
        "team",
        "owner",
        "state",
        "rollup",
        "version",
        "final_score",
        "carried_from",
        "updated_at",
        "updated_by",
    ]
    readonly_fields = [
        "company",
        "cycle",
        "parent",
        "position",
        "state",
        "version",
        "final_score",
        "carried_from",
        "updated_at",
        "updated_by",
    ]
    raw_id_fields = ["owner"]
    inlines = [KeyResultInline]
    update_service = staticmethod(services.objective_update)
    instance_arg = "objective"


@admin.register(KeyResult)
class KeyResultAdmin(_ServiceEditAdmin):
    list_display = ["title", "objective", "kind", "current_value", "target_value", "owner", "last_check_in_at"]
    list_filter = ["kind", "unit", "company"]
    search_fields = ["title", "objective__title"]
    fields = [
        "company",
        "objective",
        "position",
        "title",
        "kind",
        "unit",
        "start_value",
        "target_value",
        "current_value",
        "weight",
        "owner",
        "confidence",
        "version",
        "final_score",
        "last_check_in_at",
        "updated_at",
        "updated_by",
    ]
    readonly_fields = [
        "company",
        "objective",
        "position",
        "current_value",
        "version",
        "final_score",
        "last_check_in_at",
        "updated_at",
        "updated_by",
    ]
    raw_id_fields = ["owner"]
    update_service = staticmethod(services.key_result_update)
    instance_arg = "key_result"


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    """Append-only history: visible, never added, changed or deleted here."""

    list_display = ["key_result", "value", "confidence", "author", "is_automatic", "created_at"]
    list_filter = ["is_automatic", "company"]
    search_fields = ["key_result__title", "comment"]
    date_hierarchy = "created_at"


@admin.register(ObjectiveLink)
class ObjectiveLinkAdmin(ReadOnlyAdmin):
    list_display = ["source", "target", "company", "created_at"]
    list_filter = ["company"]


@admin.register(CascadeSettings)
class CascadeSettingsAdmin(admin.ModelAdmin):
    list_display = ["company", "reminder_after_days", "reminders_enabled"]


@admin.register(ReminderLog)
class ReminderLogAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "week", "key_result_count", "sent_at"]
    list_filter = ["week", "company"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
