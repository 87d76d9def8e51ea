"""Django admin of the planning domain, one module per entity group."""

from . import cascade  # noqa: F401
