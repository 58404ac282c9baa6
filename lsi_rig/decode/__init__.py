"""Decoding as a service beside capture: vectors from sessions and official files, decoded off
the caller's thread, cancellable, latest-wins for live use (Qt-free)."""
