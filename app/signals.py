"""Signals between domains, so packages can react to each other without importing each other.

Receivers run inside the sender's transaction; they flush, never commit.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the Organisation; kwargs: actor (the User who submitted), response (BenchmarkResponse)
benchmark_submitted = _signals.signal("benchmark-submitted")

# sender: the Organisation a person has just become a member of; kwargs: user, actor (who
# approved, or None for a verified domain)
membership_granted = _signals.signal("membership-granted")

# sender: the Event, once a published event has moved, changed venue or been cancelled;
# kwargs: actor, change ("rescheduled" or "cancelled"), before (EventBefore). Receivers return
# how many people they told.
event_changed = _signals.signal("event-changed")
