"""Delegates' feedback after an event: how useful it was and what their business will change —
the programme's evidence of impact, next to the benchmark's baseline."""
