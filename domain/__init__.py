"""The write side of bewijsketen: aggregates, events, rules and the application service."""
