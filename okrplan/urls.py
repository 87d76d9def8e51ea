from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from companies import accounts, passwords
from companies import views as company_views
from companies.api import CompanyListAPI
from companies.ratelimit import AdminLoginForm
from companies.urls import root_urlpatterns as company_root_urlpatterns
from core import health

# The admin sign-in is rate-limited like ours.
admin.site.login_form = AdminLoginForm

company_patterns = [
    path("", include("companies.urls")),
    path("", include("history.urls")),
    path("", include("objectives.urls")),
    path("", include("initiatives.urls")),
    path("", include("budgets.urls")),
    path("", include("crm.urls")),
    path("", include("reporting.urls")),
    path("", include("sla.urls")),
    path("", include("review.urls")),
]

api_company_patterns = [
    path("", include("companies.api_urls")),
    path("", include("history.api_urls")),
    path("", include("objectives.api_urls")),
    path("", include("initiatives.api_urls")),
    path("", include("budgets.api_urls")),
    path("", include("crm.api_urls")),
    path("", include("reporting.api_urls")),
    path("", include("review.api_urls")),
]

urlpatterns = [
    path("", company_views.home, name="home"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include(passwords.urlpatterns)),
    path("", include(company_root_urlpatterns)),
    path("language/", accounts.language_set, name="language_set"),
    path("switch/<slug:company_slug>/", company_views.company_switch, name="company_switch"),
    path("c/<slug:company_slug>/", include(company_patterns)),
    path("api/v1/companies/", CompanyListAPI.as_view(), name="api-companies"),
    path("api/v1/companies/<slug:company_slug>/", include(api_company_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view loads its init script from a URL instead of inline (CSP); signing in is required.
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
