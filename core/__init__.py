"""Framework code that imports no app (DESIGN.md, Layout)."""
