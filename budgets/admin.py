"""Django admin of budgets. Workflow fields are read-only; decisions go through the services as admin actions, so
the binding gate, the limit and the self-approval rule hold here too. The audit log is read-only."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from core.errors import DomainError
from core.htmx import error_messages

from . import services
from .models import BudgetAuditEntry, BudgetLine, BudgetSettings, Channel, SpendEntry

WORKFLOW_FIELDS = (
    "state",
    "requester",
    "last_changed_by",
    "cmo_approved_by",
    "cmo_approved_at",
    "approver",
    "approved_at",
    "version",
    "created_at",
    "updated_at",
)


def _run(modeladmin, request, queryset, action, done_message):
    done = 0
    for line in queryset:
        try:
            action(line)
            done += 1
        except (ValidationError, DomainError) as exc:
            modeladmin.message_user(request, f"{line.title}: {' '.join(error_messages(exc))}", level=messages.ERROR)
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, level=messages.SUCCESS)


@admin.action(description=_("Submit selected budget lines"))
def submit_lines(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        queryset,
        lambda line: services.budget_line_submit(line=line, actor=request.user),
        _("%(count)s budget line(s) submitted."),
    )


@admin.action(description=_("Approve selected budget lines"))
def approve_lines(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        queryset,
        lambda line: services.budget_line_approve(line=line, actor=request.user),
        _("%(count)s budget line(s) approved (or CMO step recorded)."),
    )


class AuditInline(admin.TabularInline):
    model = BudgetAuditEntry
    fields = ("at", "event", "actor", "amount", "key_result_title", "state_before", "state_after", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(BudgetLine)
class BudgetLineAdmin(admin.ModelAdmin):
    list_display = ("title", "company", "cycle", "channel", "planned_amount", "state", "key_result", "requester")
    list_filter = ("state", "company", "channel")
    search_fields = ("title", "key_result__title")
    readonly_fields = WORKFLOW_FIELDS
    raw_id_fields = ("key_result", "initiative")
    list_select_related = ("company", "cycle", "channel", "key_result", "requester")
    actions = [submit_lines, approve_lines]
    inlines = [AuditInline]

    def get_readonly_fields(self, request, obj=None):
        # Amount and binding of an existing line change through the service (re-approval, audit), not here.
        if obj is not None:
            return (*WORKFLOW_FIELDS, "company", "cycle", "planned_amount", "key_result")
        return WORKFLOW_FIELDS

    def save_model(self, request, obj, form, change):
        if change:
            changes = {
                name: form.cleaned_data[name]
                for name in ("title", "channel", "initiative")
                if name in form.changed_data
            }
            if changes:
                services.budget_line_update(line=obj, actor=request.user, **changes)
            return
        line = services.budget_line_create(
            company=obj.company,
            cycle=obj.cycle,
            title=obj.title,
            channel=obj.channel,
            planned_amount=obj.planned_amount,
            initiative=obj.initiative,
            key_result=obj.key_result,
            actor=request.user,
        )
        obj.pk = line.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BudgetAuditEntry)
class BudgetAuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "line", "event", "actor", "amount", "key_result_title")
    list_filter = ("event", "company")
    search_fields = ("line__title", "key_result_title", "reason")
    list_select_related = ("line", "actor")


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "position", "is_active")
    list_filter = ("company", "is_active")


@admin.register(BudgetSettings)
class BudgetSettingsAdmin(admin.ModelAdmin):
    """The limit changes through the service, so the change history records it like any other path."""

    list_display = ("company", "cmo_approval_limit")

    def get_readonly_fields(self, request, obj=None):
        return ("company",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        settings = services.budget_settings_update(
            company=obj.company, cmo_approval_limit=obj.cmo_approval_limit, actor=request.user
        )
        obj.pk = settings.pk

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SpendEntry)
class SpendEntryAdmin(admin.ModelAdmin):
    list_display = ("date", "line", "amount", "reference", "company")
    list_filter = ("company",)
    search_fields = ("reference", "line__title")
    readonly_fields = ("company", "line", "date", "amount", "reference", "note", "created_by", "created_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
