"""Application services: capture jobs the CLI, the GUI, wizards and batches drive (Qt-free)."""
