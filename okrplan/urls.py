from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from objectives.api.companies import CompanyDetailAPI, CompanyListAPI

from . import health, passwords, views, views_history
from .api_history import HistoryListAPI
from .ratelimit import AdminLoginForm

# The admin sign-in is rate-limited like ours.
admin.site.login_form = AdminLoginForm

company_patterns = [
    path("", views.company_home, name="company_home"),
    path("history/", views_history.history_page, name="history"),
    path("", include("objectives.urls")),
    path("", include("budgets.urls")),
    path("", include("reporting.urls")),
]

api_company_patterns = [
    path("", CompanyDetailAPI.as_view(), name="api-company"),
    path("history/", HistoryListAPI.as_view(), name="api-history"),
    path("", include("objectives.api_urls")),
    path("", include("budgets.api_urls")),
    path("", include("reporting.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include(passwords.urlpatterns)),
    path("language/", views.language_set, name="language_set"),
    path("switch/<slug:company_slug>/", views.company_switch, name="company_switch"),
    path("c/<slug:company_slug>/", include(company_patterns)),
    path("api/v1/companies/", CompanyListAPI.as_view(), name="api-companies"),
    path("api/v1/companies/<slug:company_slug>/", include(api_company_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view loads its init script from a URL instead of inline (CSP); signing in is required.
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
