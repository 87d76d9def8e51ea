"""Every state change of the planning domain, one module per entity group (cascade, initiatives, ...)."""
