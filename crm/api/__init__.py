"""The CRM API: bulk upsert and listing of leads, opportunities and touchpoints (``records``)."""
