"""Benchmarks. They run on throwaway stores: unless BEWIJSKETEN_KEK is given, every run (and
every process it starts) seals with one fresh key-encryption key of its own."""

import os

from domain.privacy.kek import generate_text

os.environ.setdefault("BEWIJSKETEN_KEK", generate_text())
