"""HTML pages of the CRM area: the imports with their wizard (``imports``) and the saved column mappings
(``mappings``)."""
