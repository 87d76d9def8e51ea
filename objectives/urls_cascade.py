"""Routes of the cascade pages (below /c/<company_slug>/)."""

urlpatterns: list = []
