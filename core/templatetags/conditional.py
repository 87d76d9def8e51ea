"""What a page says about time, for its ETag (core.conditional): ``{% load conditional %}``, then
``{{ when|natural_age }}`` instead of ``naturaltime`` ("5 minutes ago", valid until it reads differently) and
``{% page_is_live %}`` where a page shows something that moves without a data change (a job's progress)."""

from __future__ import annotations

from django import template

from core import conditional

register = template.Library()


@register.filter
def natural_age(value) -> str:
    return conditional.natural_age(value)


@register.simple_tag
def page_is_live() -> str:
    conditional.live()
    return ""
