"""A :class:`~lsi_rig.models.api.VectorDecoder` for the Walsh–Hadamard demo mask sets.

No network: the "decoded face" is the exact linear reconstruction
(:func:`lsi_rig.recon.reconstruct_hadamard`), so every client written for the LSI decoder (the
live view of the desktop app, the decode service) shows a real picture on a laptop with the
demo masks. The reconstruction is in volts per mask pixel; for display it is stretched to the
full 8-bit range between its 0.5th and 99.5th percentiles (a single hot pixel must not grey
out the picture) and blown up to 256×256 by pixel replication, so a 32×32 set shows honest
8×8 blocks rather than invented detail. Grey, repeated into the three RGB channels.
"""

from __future__ import annotations

import time
from collections.abc import Collection

import numpy as np

from lsi_rig.core.errors import MaskError, ModelError
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.models.api import ALL_TASKS, DecodeResult
from lsi_rig.recon import is_hadamard_set, reconstruct_hadamard

IMAGE_SIZE_PX = 256
TASKS = frozenset({"image"})
_LATENT_SHAPE = (0, 512)  # no latent code: [B, 0, 512] keeps the DecodeResult fields typed


def to_display_image(scene: np.ndarray, size_px: int = IMAGE_SIZE_PX) -> np.ndarray:
    """Linear reconstructions ``[B, N, N]`` → uint8 ``[B, size, size, 3]`` (grey in RGB)."""
    x = np.asarray(scene, dtype=np.float64)
    lo = np.percentile(x, 0.5, axis=(-2, -1), keepdims=True)
    hi = np.percentile(x, 99.5, axis=(-2, -1), keepdims=True)
    span = np.where(hi > lo, hi - lo, 1.0)
    grey = np.clip((x - lo) / span, 0.0, 1.0)
    order = grey.shape[-1]
    if size_px % order == 0:
        factor = size_px // order
        grey = grey.repeat(factor, axis=-2).repeat(factor, axis=-1)
    else:  # not a demo order: nearest neighbour onto the output grid
        index = (np.arange(size_px) * order) // size_px
        grey = grey[..., index[:, None], index[None, :]]
    pixels = np.round(grey * 255.0).astype(np.uint8)
    return np.repeat(pixels[..., None], 3, axis=-1)


class HadamardDecoder:
    """Exact linear reconstruction behind the decoder contract (image task only)."""

    def __init__(self, mask_set: MaskSet) -> None:
        if is_hadamard_set(mask_set) is None:
            raise MaskError(
                f"mask set {mask_set.name!r} ({mask_set.source}) is not a Walsh–Hadamard demo "
                "set; the linear reconstruction needs demo:hadamard16/32/64 (or a prefix of one)"
            )
        self.mask_set = mask_set

    @property
    def name(self) -> str:
        return f"linear Walsh–Hadamard reconstruction ({self.mask_set.name})"

    @property
    def n_measurements(self) -> int:
        return self.mask_set.n

    @property
    def available_tasks(self) -> frozenset[str]:
        return TASKS

    @property
    def mask_sha256(self) -> str | None:
        return self.mask_set.sha256

    def resolve_tasks(self, tasks: Collection[str] | None) -> frozenset[str]:
        if tasks is None:
            return TASKS
        wanted = frozenset(tasks)
        unknown = wanted - ALL_TASKS
        if unknown:
            raise ModelError(f"unknown decode tasks {sorted(unknown)}; known: {sorted(ALL_TASKS)}")
        missing = wanted - TASKS
        if missing:
            raise ModelError(
                f"the linear Hadamard reconstruction gives only an image, not {sorted(missing)}; "
                "load an LSI model for attributes, segmentation and landmarks"
            )
        return wanted

    def decode(self, vectors: np.ndarray, tasks: Collection[str] | None = None) -> DecodeResult:
        self.resolve_tasks(tasks)
        y = np.asarray(vectors, dtype=np.float64)
        if y.ndim == 1:
            y = y[None]
        if y.ndim != 2 or y.shape[1] != self.n_measurements:
            raise ModelError(
                f"measurement vectors have shape {np.shape(vectors)}, but the mask set "
                f"{self.mask_set.name} has n={self.n_measurements}: expected [n] or [B, n]"
            )
        if not np.isfinite(y).all():
            raise ModelError("measurement vectors contain NaN or infinite values")
        start = time.perf_counter()
        image = to_display_image(reconstruct_hadamard(y, self.mask_set))
        elapsed = time.perf_counter() - start
        latent = np.zeros((y.shape[0], *_LATENT_SHAPE), dtype=np.float32)
        return DecodeResult(
            l_cam=latent, ws=latent.copy(), image=image, timings_s={"reconstruct": elapsed}
        )
