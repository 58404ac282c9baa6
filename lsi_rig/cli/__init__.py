"""Command-line interface (``lsi-rig``). Each sub-command lives in its own module."""
