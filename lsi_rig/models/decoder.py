"""Decoder: measurement vectors -> face image, parsing map, landmarks and attributes.

This is the inference path of the latent camera with everything the official code runs but an
application does not need removed (lsi-model.md §4): no inversion encoder (its blocking bug and
267 M parameters only served a training loss), no mapping network (ws come from the encoder), and
only the synthesis features the requested heads read. It is a plain object with no Qt or CLI
knowledge so scripts, notebooks, the GUI worker and ``lsi-rig decode`` share it.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from lsi_rig.core.errors import ModelError
from lsi_rig.models.api import ALL_TASKS, DecodeResult
from lsi_rig.models.checkpoint import LsiCheckpoint, load_checkpoint
from lsi_rig.models.feature_taps import HookedLayers, check_generator
from lsi_rig.models.heads import landmarks_to_pixels

if TYPE_CHECKING:
    from lsi_rig.models.generator import SynthesisNetwork

log = logging.getLogger(__name__)

TASK_HEAD = {"attributes": "cls", "segmentation": "segmentation", "landmarks": "landmarks"}
PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
IMPLS = ("reference", "fast")


def image_to_uint8(image: Tensor) -> Tensor:
    """[B, 3, H, W] float in ~[-1, 1] -> [B, H, W, 3] uint8, truncating like the notebooks."""
    scaled = ((image.float() * 0.5 + 0.5) * 255.0).clamp(0.0, 255.0)
    return scaled.to(torch.uint8).permute(0, 2, 3, 1).contiguous()


def resolve_precision(precision: str, impl: str) -> torch.dtype | None:
    """Synthesis compute dtype; None lets the generator choose ('auto': fp16 on CUDA, bf16 on
    CPUs with native bf16, else fp32). The reference path is exact fp32 only."""
    if precision != "auto" and precision not in PRECISIONS:
        raise ModelError(f"precision {precision!r} is not one of {[*PRECISIONS, 'auto']}")
    if impl == "reference":
        if precision not in ("auto", "fp32"):
            raise ModelError(f"precision {precision!r} needs impl 'fast'; 'reference' is fp32")
        return torch.float32
    return None if precision == "auto" else PRECISIONS[precision]


class Decoder:
    """Frozen LSI decoder (encoder + synthesis + heads) on one device."""

    def __init__(
        self,
        checkpoint: LsiCheckpoint,
        generator: SynthesisNetwork,
        *,
        device: str | torch.device = "cpu",
        impl: str = "reference",
        precision: str = "fp32",
    ) -> None:
        if impl not in IMPLS:
            raise ModelError(f"synthesis impl {impl!r} is not one of {list(IMPLS)}")
        try:
            self.device = torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise ModelError(
                f"device {device!r} is not a torch device; use 'cpu' or 'cuda'"
            ) from exc
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise ModelError(f"device {device!r} requested but torch sees no CUDA GPU; use 'cpu'")
        self.impl = impl
        dtype = resolve_precision(precision, impl)
        self.checkpoint = checkpoint
        self.encoder = checkpoint.build_encoder().to(self.device)
        self.segmentation_head = checkpoint.build_segmentation_head()
        self.landmark_head = checkpoint.build_landmark_head()
        self.attribute_head = checkpoint.build_attribute_head()
        self.hooked: HookedLayers = check_generator(
            generator,
            encoder_config=checkpoint.encoder_config,
            segmentation=self.segmentation_head,
            landmarks=self.landmark_head,
            attributes=self.attribute_head,
        )
        for head in (self.segmentation_head, self.landmark_head, self.attribute_head):
            if head is not None:
                head.to(self.device)
        self.generator = generator.to(self.device).eval()
        self.generator.set_impl(impl, dtype)  # after .to(): the generator picks per device
        self.latent_avg = checkpoint.latent_avg.to(self.device)

    @classmethod
    def from_files(
        cls,
        checkpoint: str | Path | LsiCheckpoint,
        generator: str | Path | SynthesisNetwork,
        *,
        device: str = "cpu",
        impl: str = "reference",
        precision: str = "fp32",
    ) -> Decoder:
        """Load a checkpoint (.pt) and a generator (.pkl or converted cache dir) and check that
        they fit together (channels, ws layout) before any vector is decoded."""
        ckpt = checkpoint if isinstance(checkpoint, LsiCheckpoint) else load_checkpoint(checkpoint)
        if isinstance(generator, (str, Path)):
            from lsi_rig.models.generator import load_generator

            generator = load_generator(generator, device="cpu")
        return cls(ckpt, generator, device=device, impl=impl, precision=precision)

    @property
    def name(self) -> str:
        return self.checkpoint.path.name

    @property
    def n_measurements(self) -> int:
        return self.checkpoint.n_measurements

    @functools.cached_property
    def mask_sha256(self) -> str | None:
        """Content hash of the checkpoint's binarised masks (what the DMD must show)."""
        from lsi_rig.masks.maskset import maskset_sha256
        from lsi_rig.models.checkpoint import binarised_masks

        return maskset_sha256(binarised_masks(self.checkpoint))

    @property
    def available_tasks(self) -> frozenset[str]:
        heads = set(self.checkpoint.heads)
        return frozenset(t for t in ALL_TASKS if t == "image" or TASK_HEAD[t] in heads)

    def _as_batch(self, vectors: np.ndarray | Tensor) -> Tensor:
        x = torch.as_tensor(np.asarray(vectors) if not isinstance(vectors, Tensor) else vectors)
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != self.n_measurements:
            raise ModelError(
                f"measurement vectors have shape {tuple(x.shape)}, but checkpoint "
                f"{self.checkpoint.path.name} expects [n] or [B, n] with n={self.n_measurements}"
            )
        if not torch.isfinite(x).all():
            raise ModelError("measurement vectors contain NaN or infinite values")
        return x.to(device=self.device, dtype=torch.float32)

    def resolve_tasks(self, tasks: Collection[str] | None) -> frozenset[str]:
        """Validate requested tasks (None = all this checkpoint supports)."""
        if tasks is None:
            return self.available_tasks
        wanted = frozenset(tasks)
        unknown = wanted - ALL_TASKS
        if unknown:
            raise ModelError(f"unknown decode tasks {sorted(unknown)}; known: {sorted(ALL_TASKS)}")
        missing = wanted - self.available_tasks
        if missing:
            raise ModelError(
                f"checkpoint {self.checkpoint.path.name} has no head for {sorted(missing)} "
                f"(it carries {list(self.checkpoint.heads)})"
            )
        return wanted

    @contextmanager
    def _timed(self, timings: dict[str, float], stage: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        timings[stage] = time.perf_counter() - start

    def decode(
        self, vectors: np.ndarray | Tensor, tasks: Collection[str] | None = None
    ) -> DecodeResult:
        """Decode [n] or [B, n] measurement vectors; ``tasks`` defaults to all available ones.

        Work is skipped for what is not asked: attributes alone never run the synthesis,
        landmarks alone capture only the L3 features, and segmentation is the only task that
        captures the large late feature maps.
        """
        wanted = self.resolve_tasks(tasks)
        timings: dict[str, float] = {}
        out: dict[str, Any] = {}
        with torch.inference_mode():
            t_start = time.perf_counter()
            x = self._as_batch(vectors)
            with self._timed(timings, "encoder"):
                l_cam = self.encoder(x)
                ws = self.latent_avg[None, None, :] + l_cam
            if "attributes" in wanted and self.attribute_head is not None:
                with self._timed(timings, "attributes"):
                    logits = self.attribute_head(l_cam)
                    out["attribute_probabilities"] = torch.sigmoid(logits).cpu().numpy()
            if wanted - {"attributes"}:
                capture: list[str] = []
                if "segmentation" in wanted:
                    capture = list(self.hooked.segmentation)
                elif "landmarks" in wanted:
                    capture = [self.hooked.landmarks]
                with self._timed(timings, "synthesis"):
                    image, features = self.generator(ws, capture=capture)
                out["image"] = image_to_uint8(image).cpu().numpy()
                if "landmarks" in wanted and self.landmark_head is not None:
                    with self._timed(timings, "landmarks"):
                        unit = self.landmark_head(features[self.hooked.landmarks], ws)
                        out["landmarks_px"] = landmarks_to_pixels(unit).cpu().numpy()
                if "segmentation" in wanted and self.segmentation_head is not None:
                    with self._timed(timings, "segmentation"):
                        seg = self.segmentation_head(
                            [features[n] for n in self.hooked.segmentation]
                        )
                        out["segmentation"] = seg.argmax(dim=1).to(torch.uint8).cpu().numpy()
                        out["segmentation_logits"] = seg.cpu().numpy()
            result_l_cam = l_cam.cpu().numpy()
            result_ws = ws.cpu().numpy()
            timings["total"] = time.perf_counter() - t_start
        log.debug("decoded %d vectors, tasks %s, timings %s", x.shape[0], sorted(wanted), timings)
        return DecodeResult(l_cam=result_l_cam, ws=result_ws, timings_s=timings, **out)
