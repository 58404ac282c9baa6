"""The scene monitor: 8-bit pixel values -> the radiance the photodiode weighs, and its history.

Per channel ``radiance_c = peak · (black + (1 − black) · (v/255)^gamma)``; the detector sees the
panchromatic ``P = Σ_c w_c · radiance_c`` (``colour_weights`` = detector response to each
primary). After a change at ``t_c`` the panel relaxes exponentially,
``radiance(t) = new + (old − new) · exp(−(t − t_c)/τ)``. Every downstream signal is linear in
radiance, so the world evaluates each scene separately and blends with :meth:`weights_at`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from lsi_rig.core.errors import SceneError
from lsi_rig.world.config import MonitorConfig

#: Exponential factors below this are exactly zero: the change is complete and the scene before
#: it no longer contributes at all (it is pruned from the history). 1e-10 is far below float32
#: resolution (6e-8) and a 16-bit DAQ step, so a settled scene's samples are bit for bit the same
#: whatever was shown before it. With τ = 2 ms a change is complete after 46 ms (< the 50 ms
#: settle time of the built-in rigs).
SETTLED_FRACTION = 1e-10
_SETTLED = SETTLED_FRACTION


@dataclass(frozen=True, eq=False)
class ShownScene:
    """An image on the monitor: ``key`` identifies its pixels (for caches)."""

    key: str
    image: np.ndarray
    t_change_s: float


def scene_key(image: np.ndarray) -> str:
    digest = hashlib.blake2b(f"{image.shape}".encode(), digest_size=16)
    digest.update(np.ascontiguousarray(image).tobytes())
    return digest.hexdigest()


class Monitor:
    """Radiance model plus the list of recent image changes."""

    def __init__(self, config: MonitorConfig) -> None:
        self.config = config
        v = np.arange(256, dtype=np.float64) / 255.0
        lut = config.peak_radiance * (
            config.black_level + (1 - config.black_level) * v**config.gamma
        )
        self._lut = lut
        self._weights = np.asarray(config.colour_weights, dtype=np.float64)
        self.history: list[ShownScene] = []

    def channel_radiance(self, values: np.ndarray) -> np.ndarray:
        """Radiance (relative to ``peak_radiance`` = 1 unit) of 8-bit channel values."""
        return self._lut[np.asarray(values, dtype=np.uint8)]

    def panchromatic(self, image: np.ndarray) -> np.ndarray:
        """float64 [H, W]: ``Σ_c w_c · radiance_c`` of a uint8 [H, W, 3] image."""
        return np.einsum("hwc,c->hw", self._lut[image], self._weights)

    @property
    def white_level(self) -> float:
        """Panchromatic radiance of a full-white pixel (used for normalisation)."""
        return float(self._lut[255] * self._weights.sum())

    def show(self, image: np.ndarray, t_s: float) -> ShownScene:
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or image.size == 0:
            raise SceneError(
                f"monitor: expected a uint8 image [H, W, 3], got {image.dtype} {image.shape}"
            )
        image = np.ascontiguousarray(image).copy()
        image.setflags(write=False)
        scene = ShownScene(scene_key(image), image, float(t_s))
        self.history.append(scene)
        self._prune(t_s)
        return scene

    def _prune(self, now_s: float) -> None:
        tau = self.config.response_time_s
        keep_from = 0
        for i in range(len(self.history) - 1, 0, -1):
            age = now_s - self.history[i].t_change_s
            if tau == 0 or (age > 0 and np.exp(-age / tau) < _SETTLED):
                keep_from = i
                break
        del self.history[:keep_from]

    def weights_at(self, times_s: np.ndarray) -> list[tuple[ShownScene | None, np.ndarray]]:
        """Per scene in the history, its weight in the radiance at each of ``times_s``.

        ``radiance(t) = Σ_k weight_k(t) · radiance_k``; weights sum to 1. ``None`` stands for the
        dark monitor before the first image. A change takes effect at its ``t_change_s``.
        """
        times = np.asarray(times_s, dtype=np.float64)
        tau = self.config.response_time_s
        # f_k(t): fraction of change k (to scene k) still to come: 1 before t_k, then
        # exp(-(t - t_k)/tau). radiance = S_n + Σ_k (S_{k-1} − S_k)·f_k, so scene k weighs
        # f_{k+1} − f_k with f_0 = 0 (the dark monitor, index 0) and f_{n+1} = 1.
        fracs = [np.zeros_like(times)]
        for scene in self.history:
            age = times - scene.t_change_s
            if tau == 0:
                fracs.append(np.where(age >= 0, 0.0, 1.0))
            else:
                left = np.exp(-np.maximum(age, 0) / tau)
                left[left < _SETTLED] = 0.0  # complete: the old scene is gone, exactly
                fracs.append(np.where(age >= 0, left, 1.0))
        fracs.append(np.ones_like(times))
        scenes: list[ShownScene | None] = [None, *self.history]
        out: list[tuple[ShownScene | None, np.ndarray]] = []
        for k, shown in enumerate(scenes):
            w = fracs[k + 1] - fracs[k]
            if np.any(w != 0):
                out.append((shown, w))
        return out

    def settled_at(self, times_s: np.ndarray) -> bool:
        """Whether only the scene on screen contributes at every one of ``times_s`` (the last
        change is complete: no trace of what was shown before, nor of the dark start)."""
        return len(self.weights_at(times_s)) <= 1
