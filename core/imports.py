"""Limits every file import shares: the size limit (``settings.IMPORT_MAX_BYTES``), said up front and enforced
from the upload's declared size before anything is read (reading the files: core.tabular)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def import_max_bytes() -> int:
    return int(settings.IMPORT_MAX_BYTES)


def import_max_label() -> str:
    """The limit as people say it ("5 MB", "512 KB")."""
    limit = import_max_bytes()
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{max(1, limit // 1024)} KB"


def size_limit_help():
    return gettext_lazy("Files up to %(limit)s.") % {"limit": import_max_label()}


def too_large_message(size: int) -> str:
    return _("The file is %(size)s; imports accept at most %(limit)s.") % {
        "size": f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB",
        "limit": import_max_label(),
    }


def check_upload_size(upload) -> None:
    """Refuse an upload above the limit from its declared size (Django knows it before the view reads the file)."""
    size = getattr(upload, "size", None)
    if size is not None and size > import_max_bytes():
        raise ValidationError({"file": [too_large_message(size)]})


def read_limited(file) -> bytes:
    """Read at most the limit (+1 byte to notice more); a file without a declared size is cut off there."""
    check_upload_size(file)
    data = file.read(import_max_bytes() + 1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > import_max_bytes():
        raise ValidationError({"file": [too_large_message(len(data))]})
    return data
