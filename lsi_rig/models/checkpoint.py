"""Reading the official LSI checkpoints (``real_32.pt``, ``real_128.pt``, ``simulation_256.pt``).

A checkpoint holds the optical half of the latent camera (the mask weights that become DMD
patterns), its digital half (Mapping2StyleGAN), the optional downstream heads and the generator's
average latent. It is read with ``torch.load(weights_only=True)``, which never runs code from the
file, and every key and shape is checked before a module sees it, so a wrong or truncated file
fails with a message naming what is missing instead of a shape error deep in a forward pass.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from lsi_rig.core.errors import ModelError, UnsafePickleError
from lsi_rig.masks.torchfile import torch_file_problem
from lsi_rig.models.encoder import EncoderConfig, Mapping2StyleGAN
from lsi_rig.models.heads import AttributeHead, LandmarkHead, SegmentationHead

log = logging.getLogger(__name__)

MASK_SIDE_PX = 256
SUPPORTED_N = tuple(2**k for k in range(2, 10))  # 4 ... 512, the official bypass sizes
REQUIRED_KEYS = ("mask", "latent_camera", "latent_avg", "opts")
HEAD_KEYS = ("segmentation", "landmarks", "cls")
TRAINING_ONLY_KEYS = ("global_step", "optimizer", "best_val_loss")

# Architecture options (argparse names of the official train_options.py) and the only values
# our encoder implements. An absent option means the official default.
SUPPORTED_OPTIONS: dict[str, Any] = {
    "styles": 18,
    "encoding_size_out": 512,
    "b_multiply": 512,
    "b_attention_features": 128,
    "b_coarse_n": 16,
    "b_mid_n": 32,
    "b_fine_n": 64,
    "b_residual": True,
    "b_final_equal": False,
    "b_projection": "gmlp",
    "b_out_strategy": "gmlp",
    "b_out_ff": 2,
    "b_out_depth": 1,
    "generative_model": "styleganxl",
}
MASK_OPTIONS: dict[str, Any] = {"bits": 1, "clip_w": "clamp"}


@dataclass(frozen=True)
class LsiCheckpoint:
    """Validated contents of one checkpoint, all tensors float32 on the CPU."""

    path: Path
    n_measurements: int
    encoder_state: dict[str, Tensor] = field(repr=False)
    latent_avg: Tensor = field(repr=False)
    mask_weight: Tensor = field(repr=False)
    opts: dict[str, Any] = field(repr=False)
    segmentation_state: dict[str, Tensor] | None = field(default=None, repr=False)
    landmarks_state: dict[str, Tensor] | None = field(default=None, repr=False)
    cls_state: dict[str, Tensor] | None = field(default=None, repr=False)

    @property
    def encoder_config(self) -> EncoderConfig:
        return EncoderConfig(n_measurements=self.n_measurements)

    @property
    def heads(self) -> tuple[str, ...]:
        """Names of the heads this checkpoint carries ("segmentation", "landmarks", "cls")."""
        states = (self.segmentation_state, self.landmarks_state, self.cls_state)
        return tuple(k for k, s in zip(HEAD_KEYS, states, strict=True) if s is not None)

    def build_encoder(self) -> Mapping2StyleGAN:
        encoder = Mapping2StyleGAN(self.encoder_config)
        encoder.load_state_dict(self.encoder_state, strict=True)
        return encoder.eval()

    def build_segmentation_head(self) -> SegmentationHead | None:
        if self.segmentation_state is None:
            return None
        return SegmentationHead.from_state_dict(self.segmentation_state).eval()

    def build_landmark_head(self) -> LandmarkHead | None:
        if self.landmarks_state is None:
            return None
        return LandmarkHead.from_state_dict(self.landmarks_state).eval()

    def build_attribute_head(self) -> AttributeHead | None:
        if self.cls_state is None:
            return None
        return AttributeHead.from_state_dict(self.cls_state).eval()


def _torch_load(path: Path) -> Any:
    if not path.is_file():
        raise ModelError(f"checkpoint {path} does not exist or is not a file")
    problem = torch_file_problem(path)
    if problem is not None:
        raise ModelError(f"checkpoint {path} cannot be read: {problem}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnsafePickleError(
            f"checkpoint {path} needs objects outside torch's weights-only allow-list, so it was "
            f"refused and nothing in it was executed ({first_line}). Only plain tensors, dicts "
            "and numbers are accepted; re-save the checkpoint as a plain dict if you trust it."
        ) from exc
    except Exception as exc:  # torch.load raises many types on corrupt files
        raise ModelError(
            f"checkpoint {path} cannot be read by torch.load ({type(exc).__name__}: {exc}); "
            "is it a complete .pt file?"
        ) from exc


def _state_dict(raw: Any, key: str, path: Path) -> dict[str, Tensor]:
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, Tensor) for k, v in raw.items()
    ):
        raise ModelError(f"checkpoint {path}: entry '{key}' is not a state dict of tensors")
    for name, value in raw.items():
        _check_finite(value, f"{key}.{name}", path)
    return {k: v.detach().to(torch.float32) for k, v in raw.items()}


def _check_finite(value: Tensor, name: str, path: Path) -> None:
    """NaN/Inf weights decode into NaN images without any error: refuse them, naming the
    tensor (a damaged download, or a training run that diverged)."""
    if value.is_floating_point() and not bool(torch.isfinite(value).all()):
        bad = int((~torch.isfinite(value)).sum())
        raise ModelError(
            f"checkpoint {path}: tensor {name} has {bad} NaN/Inf values (of {value.numel()}); "
            "the file is damaged or its training diverged: use another checkpoint"
        )


def _infer_n(encoder_state: dict[str, Tensor], path: Path) -> int:
    norm = encoder_state.get("styles.0.norm.weight")
    if norm is None or norm.ndim != 1:
        raise ModelError(
            f"checkpoint {path}: 'latent_camera' lacks styles.0.norm.weight [n], so the "
            "measurement length cannot be inferred"
        )
    n = int(norm.shape[0])
    if n not in SUPPORTED_N:
        raise ModelError(
            f"checkpoint {path}: measurement length n={n} is not one of {list(SUPPORTED_N)}"
        )
    return n


def _check_encoder_state(state: dict[str, Tensor], n: int, path: Path) -> None:
    with torch.device("meta"):
        expected = Mapping2StyleGAN(EncoderConfig(n)).state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ModelError(
            f"checkpoint {path}: 'latent_camera' has {len(missing)} missing keys "
            f"{missing[:8]} and {len(unexpected)} unexpected keys {unexpected[:8]} "
            f"(expected the {len(expected)} Mapping2StyleGAN tensors for n={n})"
        )
    wrong = [
        f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}"
        for k, v in expected.items()
        if state[k].shape != v.shape
    ]
    if wrong:
        raise ModelError(f"checkpoint {path}: 'latent_camera' has wrong shapes: {wrong[:8]}")


def check_options(opts: dict[str, Any], n: int, path: Path) -> None:
    """Refuse architecture options our encoder does not implement (naming option and value)."""
    for name, supported in SUPPORTED_OPTIONS.items():
        if name in opts and opts[name] is not None and opts[name] != supported:
            raise ModelError(
                f"checkpoint {path}: option {name}={opts[name]!r} is not supported "
                f"(only {supported!r}); this decoder implements the published architecture"
            )
    encoding_size = opts.get("encoding_size")
    if encoding_size is not None and encoding_size != n:
        log.warning("%s: opts.encoding_size=%s but tensors give n=%d", path, encoding_size, n)


def load_checkpoint(path: str | Path) -> LsiCheckpoint:
    """Load and validate an official LSI checkpoint; heads stored as None come back as None."""
    path = Path(path)
    raw = _torch_load(path)
    if not isinstance(raw, dict):
        raise ModelError(f"checkpoint {path}: top level is {type(raw).__name__}, expected dict")
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    unexpected = sorted(
        str(k) for k in raw if k not in (*REQUIRED_KEYS, *HEAD_KEYS, *TRAINING_ONLY_KEYS)
    )
    if missing or unexpected:
        raise ModelError(
            f"checkpoint {path}: missing keys {missing}, unexpected keys {unexpected}; "
            f"expected {list(REQUIRED_KEYS) + list(HEAD_KEYS)}"
        )
    opts = raw["opts"]
    if not isinstance(opts, dict):
        raise ModelError(f"checkpoint {path}: 'opts' is {type(opts).__name__}, expected dict")
    encoder_state = _state_dict(raw["latent_camera"], "latent_camera", path)
    n = _infer_n(encoder_state, path)
    _check_encoder_state(encoder_state, n, path)
    check_options(opts, n, path)

    mask_state = _state_dict(raw["mask"], "mask", path)
    weight = mask_state.get("weight")
    if set(mask_state) != {"weight"} or weight is None:
        raise ModelError(
            f"checkpoint {path}: 'mask' must hold only 'weight', has {list(mask_state)}"
        )
    if tuple(weight.shape) != (n, MASK_SIDE_PX * MASK_SIDE_PX):
        raise ModelError(
            f"checkpoint {path}: mask.weight has shape {tuple(weight.shape)}, "
            f"expected ({n}, {MASK_SIDE_PX * MASK_SIDE_PX})"
        )
    latent_avg = raw["latent_avg"]
    if not isinstance(latent_avg, Tensor) or latent_avg.numel() != 512:
        shape = tuple(latent_avg.shape) if isinstance(latent_avg, Tensor) else type(latent_avg)
        raise ModelError(f"checkpoint {path}: latent_avg is {shape}, expected a [512] tensor")
    _check_finite(latent_avg, "latent_avg", path)

    heads: dict[str, dict[str, Tensor] | None] = {}
    for key in HEAD_KEYS:
        value = raw.get(key)
        heads[key] = None if value is None else _state_dict(value, key, path)
    ckpt = LsiCheckpoint(
        path=path,
        n_measurements=n,
        encoder_state=encoder_state,
        latent_avg=latent_avg.detach().to(torch.float32).reshape(512),
        mask_weight=weight,
        opts=dict(opts),
        segmentation_state=heads["segmentation"],
        landmarks_state=heads["landmarks"],
        cls_state=heads["cls"],
    )
    # Build the heads once now so a malformed head fails at load time, not mid-decode.
    ckpt.build_segmentation_head()
    ckpt.build_landmark_head()
    ckpt.build_attribute_head()
    log.info("loaded checkpoint %s: n=%d, heads=%s", path, n, ckpt.heads)
    return ckpt


def binarised_masks(source: LsiCheckpoint | str | Path) -> np.ndarray:
    """The checkpoint's DMD patterns as bool [n, 256, 256] (True = mirror on).

    Training binarised on the fly: clamp the raw weights to [0, 1] and round (1-bit), and pattern
    i is row i of ``mask.weight`` reshaped row-major (index = 256 * row + column).
    """
    ckpt = source if isinstance(source, LsiCheckpoint) else load_checkpoint(source)
    for name, supported in MASK_OPTIONS.items():
        value = ckpt.opts.get(name, supported)
        if value != supported:
            raise ModelError(
                f"checkpoint {ckpt.path}: option {name}={value!r} is not supported for mask "
                f"export (only {supported!r})"
            )
    binary = torch.round(torch.clamp(ckpt.mask_weight, 0.0, 1.0))
    side = MASK_SIDE_PX
    return binary.reshape(ckpt.n_measurements, side, side).numpy().astype(bool)
