"""The planning part of the demo company: the workshop's cascade (its initiatives are initiatives/demo.py)."""

from __future__ import annotations

from . import demo_cascade


def load() -> None:
    demo_cascade.load()
