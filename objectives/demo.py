"""The planning part of the demo company: the workshop's cascade and the initiatives with their ratings."""

from __future__ import annotations

from . import demo_cascade, demo_priorities


def load() -> None:
    demo_cascade.load()
    demo_priorities.load()
    demo_priorities.load_partner()
