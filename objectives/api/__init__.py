"""REST API of the planning domain, one module per entity group. Thin: serializers shape, services change."""
