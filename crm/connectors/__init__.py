"""Live CRM connectors: HubSpot (hubspot-api-client, private-app token) and Salesforce (simple-salesforce, OAuth).

A source reads the records changed since a cursor, page by page, and turns each CRM record into an import row with
the field names of the file import (``external_id``, ``created``, ``channel`` … — see the CSV presets), so a sync
writes through the same parse-and-upsert path as a file. The pieces:

- :mod:`.base`        the page a source yields, the streams and their order, the errors a source raises
- :mod:`.retry`       one retry policy (tenacity): 429 waits the Retry-After, 5xx and network errors back off
- :mod:`.credentials` credentials encrypted at rest (Fernet, rotating keys from settings)
- :mod:`.mapping`     CRM record → import row, through the file import's presets
- :mod:`.hubspot`, :mod:`.salesforce`   the two sources
"""

from .base import AuthExpired, ConnectorError, Page, RateLimited, Transient  # noqa: F401
