"""Error-policy vocabulary shared by the rig file, the CLI and the engine."""

from __future__ import annotations

from enum import StrEnum


class OnExhausted(StrEnum):
    """What happens once the retries of a transient fault are used up."""

    SKIP = "skip"
    PAUSE = "pause"
    FAIL = "fail"
