"""Organiser views (agenda_views)."""
