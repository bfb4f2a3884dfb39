"""Organisers' emails to delegates: an announcement to everyone with a place, a waiting list,
or the people booked on one session."""
