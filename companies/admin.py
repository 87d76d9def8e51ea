from django.contrib import admin

from .models import Company, Membership, Profile, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "currency", "fiscal_year_start_month", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "role", "team"]
    list_filter = ["role", "company"]
    search_fields = ["user__username", "user__email", "company__name"]
    autocomplete_fields = ["user", "company"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "kind"]
    list_filter = ["kind", "company"]
    search_fields = ["name", "company__name"]
    autocomplete_fields = ["company"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "language"]
    search_fields = ["user__username"]
