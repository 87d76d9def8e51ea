"""Admin of initiatives and ratings: workflow fields read-only, actions call services."""
