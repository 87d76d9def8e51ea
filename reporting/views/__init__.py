"""HTML pages and htmx partials of the board, one module per area (board, targets, export, alerts)."""
