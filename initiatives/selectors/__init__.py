"""Read queries of initiatives shared by pages, API and tasks: the priority matrix, and what a partner sees."""
