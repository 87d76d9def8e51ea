"""Static files in production: WhiteNoise's compressed, hashed files, with the imports inside our JavaScript modules
(``static/js``) rewritten to the hashed names too (``import { poll } from "../okr/poller.js"`` → ``poller.3f2a….js``).
Without that, a module imported by another kept its plain name and could only be cached for a short while; now every
module has a hashed name and WhiteNoise serves it as immutable, like every other static file. Only our own modules:
Django's patterns misread some third-party scripts (django-htmx's SSE extension)."""

from django.contrib.staticfiles.storage import HashedFilesMixin
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    patterns = (*HashedFilesMixin.patterns, ("js/*.js", HashedFilesMixin._js_module_import_aggregation_patterns[1]))
