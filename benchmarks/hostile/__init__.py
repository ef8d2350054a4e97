"""Hostile input at volume: malformed requests against a running service (scripts/hostile)."""
