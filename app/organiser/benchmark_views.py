"""Organiser views (benchmark_views)."""
