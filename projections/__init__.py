"""Read models for the apps and dashboards, kept up to date from the event log exactly once.

The runner (projections/runner.py) reads the application log in batches and applies each batch
to the read-model tables together with the new log position, in one transaction. The four read
models live in projections/models/; docs/read-models.md describes their tables.
"""
