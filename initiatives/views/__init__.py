"""HTML pages and htmx partials of the priority matrix (the URLs and the UI say "priorities")."""
