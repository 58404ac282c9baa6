"""The demo LSI model as a :class:`~lsi_rig.models.api.VectorDecoder`.

``load_demo_decoder(32)`` reads the shipped weights; ``decode`` takes measurements on the
official simulation scale (Σ over the on-pixels of R+G+B in [0, 1], lsi-model.md §5.1 — what
the sim rig's volts become when divided by ``World.ideal_scale_v``) and returns the same
:class:`DecodeResult` as the official decoder: 256×256 uint8 image (the 64×64 output upsampled
bilinearly), 19-class logits and map at 256², 68 landmarks in 256-px coordinates, 40 attribute
probabilities. ``l_cam`` and ``ws`` are both the 128-d latent [B, 128] (the demo model has no
per-style latents and no latent average).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from functools import cached_property
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from lsi_rig.core.errors import ModelError
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.models.api import ALL_TASKS, DecodeResult
from lsi_rig.models.demo import network as N
from lsi_rig.models.demo import weights as W

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


class DemoModel(nn.Module):
    """One measurement count: masks, encoder, heads, and the shared generator + parsing head."""

    def __init__(
        self,
        generator: N.Generator,
        parsing: N.ParsingHead,
        encoder: N.MeasurementEncoder,
        heads: N.LatentHeads,
        grid_bits: np.ndarray,
    ) -> None:
        super().__init__()
        self.generator, self.parsing, self.encoder, self.heads = generator, parsing, encoder, heads
        self.grid_bits = np.ascontiguousarray(grid_bits, dtype=bool)
        self.eval()

    @property
    def n(self) -> int:
        return int(self.grid_bits.shape[0])

    def masks(self) -> MaskSet:
        """The 256×256 DMD masks this model was trained with (show them to capture)."""
        return MaskSet(
            W.dmd_masks(self.grid_bits), name=f"demo_lsi{self.n}", source=f"demo-model:{self.n}"
        )


class DemoDecoder:
    """Decoder over a :class:`DemoModel`; CPU, fp32, deterministic."""

    def __init__(self, model: DemoModel, *, source: str = "") -> None:
        self.model = model
        self.source = source

    @property
    def name(self) -> str:
        return f"demo:{self.model.n}"

    @property
    def n_measurements(self) -> int:
        return self.model.n

    @property
    def available_tasks(self) -> frozenset[str]:
        return ALL_TASKS

    @cached_property
    def _masks(self) -> MaskSet:
        return self.model.masks()

    @property
    def mask_sha256(self) -> str:
        return self._masks.sha256

    def masks(self) -> MaskSet:
        return self._masks

    def resolve_tasks(self, tasks: Collection[str] | None) -> frozenset[str]:
        """Validate requested tasks (None = all four)."""
        if tasks is None:
            return ALL_TASKS
        wanted = frozenset(tasks)
        unknown = wanted - ALL_TASKS
        if unknown:
            raise ModelError(f"unknown decode tasks {sorted(unknown)}; known: {sorted(ALL_TASKS)}")
        return wanted

    def _as_batch(self, vectors: np.ndarray | torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(np.asarray(vectors, dtype=np.float32))
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != self.n_measurements or x.shape[0] == 0:
            raise ModelError(
                f"demo model {self.name}: got vectors of shape {tuple(x.shape)}; "
                f"expects [n] or [B, n] with n={self.n_measurements}"
            )
        if not torch.isfinite(x).all():
            raise ModelError("measurement vectors contain NaN or infinite values")
        return x

    def decode(
        self, vectors: np.ndarray | torch.Tensor, tasks: Collection[str] | None = None
    ) -> DecodeResult:
        wanted = self.resolve_tasks(tasks)
        timings: dict[str, float] = {}
        out: dict[str, np.ndarray] = {}
        m = self.model
        with torch.inference_mode():
            t0 = time.perf_counter()
            x = self._as_batch(vectors)
            z = m.encoder(x)
            timings["encoder"] = time.perf_counter() - t0
            att_logits, lm = m.heads(z)
            if "attributes" in wanted:
                out["attribute_probabilities"] = torch.sigmoid(att_logits).numpy()
            if wanted - {"attributes"}:
                t = time.perf_counter()
                rgb, features = m.generator(z)
                big = F.interpolate(
                    rgb, size=(N.IMAGE_SIZE, N.IMAGE_SIZE), mode="bilinear", align_corners=False
                )
                pixels = (big * 255.0).clamp(0, 255).to(torch.uint8)  # truncation, as official
                out["image"] = pixels.permute(0, 2, 3, 1).contiguous().numpy()
                timings["synthesis"] = time.perf_counter() - t
                if "landmarks" in wanted:
                    out["landmarks_px"] = N.landmarks_to_px(lm).numpy()
                if "segmentation" in wanted:
                    t = time.perf_counter()
                    logits = F.interpolate(
                        m.parsing(features, rgb),
                        size=(N.IMAGE_SIZE, N.IMAGE_SIZE),
                        mode="bilinear",
                        align_corners=False,
                    )
                    out["segmentation_logits"] = logits.numpy()
                    out["segmentation"] = logits.argmax(dim=1).to(torch.uint8).numpy()
                    timings["segmentation"] = time.perf_counter() - t
            latent = z.numpy()
            timings["total"] = time.perf_counter() - t0
        return DecodeResult(
            l_cam=latent,
            ws=latent.copy(),
            image=out.get("image"),
            attribute_probabilities=out.get("attribute_probabilities"),
            segmentation_logits=out.get("segmentation_logits"),
            segmentation=out.get("segmentation"),
            landmarks_px=out.get("landmarks_px"),
            timings_s=timings,
        )


def available_demo_counts(weights_dir: str | Path | None = None) -> tuple[int, ...]:
    folder = Path(weights_dir) if weights_dir is not None else WEIGHTS_DIR
    return tuple(sorted(int(k) for k in W.read_manifest(folder)["counts"]))


def load_demo_decoder(n: int | None = None, weights_dir: str | Path | None = None) -> DemoDecoder:
    """The demo decoder for ``n`` measurements (None: the model's default count, 32) from
    ``weights_dir`` (default: the weights shipped in the package)."""
    folder = Path(weights_dir) if weights_dir is not None else WEIGHTS_DIR
    manifest = W.read_manifest(folder)
    count = int(manifest["default_count"]) if n is None else int(n)
    generator, parsing = W.load_shared(folder, manifest)
    encoder, heads, bits = W.load_count(folder, manifest, count)
    log.debug("loaded demo model n=%d from %s", count, folder)
    return DemoDecoder(DemoModel(generator, parsing, encoder, heads, bits), source=str(folder))
