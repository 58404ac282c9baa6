"""What every decoder offers the application: the official LSI decoder and the demo model alike.

The decode service, the GUI and ``lsi-rig decode``/``evaluate`` program against
:class:`VectorDecoder` only, so they do not know which model they run. numpy only (no torch) so
light clients can import the types.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from lsi_rig.core.labels import ATTRIBUTE_NAMES, SEGMENTATION_CLASSES

ALL_TASKS = frozenset({"image", "attributes", "segmentation", "landmarks"})


@dataclass(frozen=True)
class DecodeResult:
    """Everything one ``decode`` call produced; arrays are numpy on the CPU, batch first.

    ``image`` is present whenever the synthesis ran (any task but attributes-only); the pixel
    conversion is the official one, ((x * 0.5 + 0.5) * 255).clamp(0, 255) truncated to uint8.
    """

    l_cam: np.ndarray  # [B, 18, 512] float32, encoder output (no latent_avg)
    ws: np.ndarray  # [B, 18, 512] float32, latent_avg + l_cam, what drives the synthesis
    image: np.ndarray | None = None  # [B, H, W, 3] uint8 RGB
    attribute_probabilities: np.ndarray | None = None  # [B, 40] sigmoid of the logits
    segmentation_logits: np.ndarray | None = None  # [B, 19, H, W] float32
    segmentation: np.ndarray | None = None  # [B, H, W] uint8 class index (argmax)
    landmarks_px: np.ndarray | None = None  # [B, 68, 2] float32 (x = column, y = row)
    timings_s: dict[str, float] = field(default_factory=dict)
    attribute_names: tuple[str, ...] = ATTRIBUTE_NAMES
    segmentation_classes: tuple[str, ...] = SEGMENTATION_CLASSES

    @property
    def batch_size(self) -> int:
        return int(self.l_cam.shape[0])


@runtime_checkable
class VectorDecoder(Protocol):
    """Measurement vectors [n] or [B, n] -> :class:`DecodeResult`.

    ``mask_sha256`` is the content hash (``lsi_rig.masks`` v1) of the masks the model was trained
    with, or None when the model does not know them; a session captured through other masks is
    refused by the decode service rather than decoded into garbage. ``name`` identifies the model
    in outputs and logs.
    """

    @property
    def name(self) -> str: ...

    @property
    def n_measurements(self) -> int: ...

    @property
    def available_tasks(self) -> frozenset[str]: ...

    @property
    def mask_sha256(self) -> str | None: ...

    def resolve_tasks(self, tasks: Collection[str] | None) -> frozenset[str]: ...

    def decode(self, vectors: np.ndarray, tasks: Collection[str] | None = None) -> DecodeResult: ...
