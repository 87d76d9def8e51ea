"""REST API of initiatives, ratings and rating rounds. Thin: serializers shape, services change."""
