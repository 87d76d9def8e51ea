"""Routes of the priorities pages (below /c/<company_slug>/)."""

urlpatterns: list = []
