"""Routers per resource; `api.app` includes every router listed here."""
