"""Signals between domains, so packages can react to each other without importing each other.

Receivers run inside the sender's transaction; they flush, never commit.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the Organisation; kwargs: actor (the User who submitted), response (BenchmarkResponse)
benchmark_submitted = _signals.signal("benchmark-submitted")
