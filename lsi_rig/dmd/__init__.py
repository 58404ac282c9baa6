"""dmd package."""
