"""Every state change of initiatives: the initiatives with their ratings, rounds and final values, and the
partners assigned to them."""
