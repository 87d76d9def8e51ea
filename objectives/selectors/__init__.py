"""Read queries shared by pages, API and tasks, one module per entity group."""
