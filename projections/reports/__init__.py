"""Printable reports made from the read side and the dossier."""
