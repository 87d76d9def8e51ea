"""HTML pages and htmx partials of the planning domain, one module per area."""
