"""API routes of the priorities area (below /api/v1/companies/<company_slug>/)."""

urlpatterns: list = []
