"""Writing a :class:`~lsi_rig.models.demo.train.TrainResult` as a demo weights folder."""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np
import torch

from lsi_rig.core.labels import ATTRIBUTE_NAMES
from lsi_rig.models.demo import weights as W
from lsi_rig.models.demo.priors import CELEBA_PRIORS
from lsi_rig.models.demo.train import TrainResult

DEFAULT_COUNT = 32


def grid_bits(result: TrainResult, n: int) -> np.ndarray:
    """The trained binary masks of count ``n`` as bool [n, 32, 32]."""
    with torch.no_grad():
        q = torch.round(torch.clamp(result.counts[n].mask.weight, 0.0, 1.0))
    return q.numpy().astype(bool).reshape(n, 32, 32)


def export_result(result: TrainResult, out_dir: Path) -> Path:
    """Save the trained networks (safetensors) and a manifest with the training record."""
    counts = {n: (c.encoder, c.heads, grid_bits(result, n)) for n, c in result.counts.items()}
    default = DEFAULT_COUNT if DEFAULT_COUNT in counts else sorted(counts)[len(counts) // 2]
    known = [name for name, k in zip(ATTRIBUTE_NAMES, result.known_attributes, strict=True) if k]
    extra = {
        "attributes": {"trained": known, "priors": CELEBA_PRIORS},
        "training": {
            **result.summary(),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
        "measurement_units": (
            "official LSI simulation scale: sum over on-pixels of R+G+B in [0, 1] "
            "(lsi-model.md 5.1); sim-rig volts / World.ideal_scale_v"
        ),
    }
    return W.save_weights(
        out_dir,
        generator=result.shared.generator,
        parsing=result.parsing,
        counts=counts,
        manifest_extra=extra,
        default_count=default,
    )
