"""API routes of the cascade area (below /api/v1/companies/<company_slug>/)."""

urlpatterns: list = []
