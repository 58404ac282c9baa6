"""Device contract for the scene display (the calibrated monitor showing the face)."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class SceneDisplay(Protocol):
    """Shows 8-bit RGB images. After :meth:`show` the light takes ``settle_time_s`` to settle;
    the engine waits that long (on the rig clock) before measuring."""

    @property
    def settle_time_s(self) -> float: ...

    def describe(self) -> dict[str, Any]: ...

    def show(self, image: np.ndarray) -> float:
        """Display ``image`` (uint8 [H, W, 3]); returns the clock time the change took effect."""
        ...

    def close(self) -> None: ...
