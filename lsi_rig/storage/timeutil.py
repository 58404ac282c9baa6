"""Timestamps as the session files store them."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def utc_iso(t_ns: int | None = None) -> str:
    """UTC ISO-8601 with microseconds and a 'Z' suffix."""
    t = time.time_ns() if t_ns is None else t_ns
    dt = datetime.fromtimestamp(t / 1e9, tz=UTC)
    return dt.isoformat(timespec="microseconds").replace("+00:00", "Z")
