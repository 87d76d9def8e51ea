"""REST API of the reporting domain, one module per concern (KPIs, targets and attribution; alerts). Thin:
serializers shape, services change."""
