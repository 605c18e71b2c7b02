"""How the domain is stored: the event store's recorder and encodings, log positions, the
start-up lock and the command-side aggregate cache. Nothing here decides anything."""
