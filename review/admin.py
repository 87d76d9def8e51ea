from django.contrib import admin

from .models import ReviewAction


@admin.register(ReviewAction)
class ReviewActionAdmin(admin.ModelAdmin):
    """Read-only: the log is kept on the review page and through the API (review.services)."""

    list_display = ["title", "company", "owner", "due_date", "status", "week_start"]
    list_filter = ["status", "company"]
    search_fields = ["title"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
