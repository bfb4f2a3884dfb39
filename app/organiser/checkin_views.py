"""Organiser views (checkin_views)."""
