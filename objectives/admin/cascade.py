"""Admin of the cascade: workflow fields read-only, actions call services."""
