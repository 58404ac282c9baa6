"""Plausibility bounds on a synthesis network's declared geometry, and finite weights.

Sizes, factors and paddings are read from the file (pickle or cache JSON), not derived, so a
damaged or hostile file could declare a 10⁶ × 10⁶ input grid and make the first forward pass
allocate terabytes; the tensors cannot lie that way (their shapes are checked against the
attributes and their bytes are in the file). Every declared number is bounded here, generously
above what StyleGAN-XL at 1024 px uses, before a module is built.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from lsi_rig.core.errors import ModelError

if TYPE_CHECKING:
    from lsi_rig.models.generator.records import LayerAttrs, SynthesisAttrs

MAX_LAYERS = 64
MAX_CHANNELS = 8192
MAX_SIZE_PX = 4096
MAX_PADDED_PX = 16384  # (size + kernel − 1) · up + padding, per axis, inside a layer
MAX_KERNEL = 15
MAX_FACTOR = 16
MAX_W_DIM = 4096


def _int_in(value: int, low: int, high: int, what: str) -> None:
    if not low <= value <= high:
        raise ModelError(f"generator attribute {what} = {value} is outside {low}…{high}")


def _finite(value: float | None, what: str) -> None:
    if value is not None and not math.isfinite(value):
        raise ModelError(f"generator attribute {what} = {value} is not a finite number")


def _layer(la: LayerAttrs) -> None:
    n = f"{la.name}"
    _int_in(la.in_channels, 1, MAX_CHANNELS, f"{n}.in_channels")
    _int_in(la.out_channels, 1, MAX_CHANNELS, f"{n}.out_channels")
    for key, pair in (("in_size", la.in_size), ("out_size", la.out_size)):
        for v in pair:
            _int_in(v, 1, MAX_SIZE_PX, f"{n}.{key}")
    _int_in(la.conv_kernel, 1, MAX_KERNEL, f"{n}.conv_kernel")
    _int_in(la.up_factor, 1, MAX_FACTOR, f"{n}.up_factor")
    _int_in(la.down_factor, 1, MAX_FACTOR, f"{n}.down_factor")
    for p in la.padding:
        _int_in(p, -MAX_PADDED_PX, MAX_PADDED_PX, f"{n}.padding")
    x0, x1, y0, y1 = la.padding
    for axis, (p0, p1) in enumerate(((x0, x1), (y0, y1))):
        padded = (la.in_size[axis] + la.conv_kernel - 1) * la.up_factor + p0 + p1
        _int_in(padded, 1, MAX_PADDED_PX, f"{n} padded size on axis {axis}")
    for key in (
        "conv_clamp", "affine_weight_gain", "affine_bias_gain", "in_sampling_rate",
        "out_sampling_rate", "tmp_sampling_rate", "in_cutoff", "out_cutoff", "in_half_width",
        "out_half_width",
    ):  # fmt: skip
        _finite(getattr(la, key), f"{n}.{key}")


def check_bounds(attrs: SynthesisAttrs) -> None:
    """Refuse declared geometry no real generator has (names the attribute and value)."""
    _int_in(len(attrs.layers), 1, MAX_LAYERS, "number of layers")
    if len(attrs.layer_names) != len(attrs.layers):
        raise ModelError(
            f"generator declares {len(attrs.layer_names)} layer names for "
            f"{len(attrs.layers)} layers"
        )
    _int_in(attrs.num_ws, 1, MAX_LAYERS + 1, "num_ws")
    _int_in(attrs.w_dim, 1, MAX_W_DIM, "w_dim")
    _int_in(attrs.img_resolution, 1, MAX_SIZE_PX, "img_resolution")
    _int_in(attrs.img_channels, 1, 4, "img_channels")
    _finite(attrs.output_scale, "output_scale")
    ia = attrs.input
    _int_in(ia.channels, 1, MAX_CHANNELS, "input.channels")
    for v in ia.size:
        _int_in(v, 1, MAX_SIZE_PX, "input.size")
    for key in ("sampling_rate", "bandwidth", "affine_weight_gain", "affine_bias_gain"):
        _finite(getattr(ia, key), f"input.{key}")
    for la in attrs.layers:
        _layer(la)


def check_finite(tensors: dict[str, torch.Tensor]) -> None:
    """Refuse NaN/Inf weights, naming the first tensor that has them."""
    for key, value in tensors.items():
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            bad = int((~torch.isfinite(value)).sum())
            raise ModelError(
                f"generator tensor {key} has {bad} NaN/Inf values (of {value.numel()}); "
                "the file is damaged: convert or download it again"
            )
