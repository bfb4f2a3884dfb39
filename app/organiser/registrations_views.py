"""Organiser views (registrations_views)."""
