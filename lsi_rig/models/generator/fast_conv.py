"""Options and the Winograd modulated convolution of the fast synthesis path.

:class:`ConvOptions` says per layer how the modulated 3×3 conv runs; :func:`configure` sets
them for a network, choosing which layers keep their transformed weights within a memory
budget; :func:`winograd_modulated_conv` runs one layer's conv (see :mod:`.winograd`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from lsi_rig.models.generator import winograd

if TYPE_CHECKING:
    from lsi_rig.models.generator.synthesis import SynthesisLayerModule

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_WEIGHT_CACHE_MB",
    "ConvOptions",
    "configure",
    "winograd_modulated_conv",
    "winograd_weight_mb",
]


@dataclass(frozen=True)
class ConvOptions:
    """How the fast path runs a layer's modulated 3×3 convolution.

    ``winograd_tile``: output tile m of Winograd F(m×m, 3×3) (2, 4 or 6), or None for the dense
    oneDNN conv. ``cache_weights``: keep the transformed weights between frames ((m+2)²/9× the
    layer's weight memory, 4× for F(4)) instead of transforming them every forward.
    ``blocked_fir``: run up-FIR → lrelu → down-FIR in cache-sized blocks (:mod:`.fast_fir`)
    instead of whole-tensor passes.
    Winograd runs only in float32 (its transforms cost accuracy that bf16/fp16 lack).
    """

    winograd_tile: int | None = 4
    cache_weights: bool = False
    blocked_fir: bool = True


#: MiB allowed for cached Winograd weights by :func:`configure` (set_impl's default). All
#: of config B's would take 1.92 GiB (F(4)) and save ≈ 2 s per frame; transforming a layer's
#: weights costs about 0.1 s per 151 MB, so the saving per MB is the same for every layer.
DEFAULT_WEIGHT_CACHE_MB = 768.0


def winograd_weight_mb(layer: SynthesisLayerModule, tile: int) -> float:
    """Size of a layer's transformed weights (0 for layers that do not use Winograd)."""
    a = layer.attrs
    if a.conv_kernel != 3 or a.is_torgb:
        return 0.0
    return (tile + 2) ** 2 * a.out_channels * a.in_channels * 4 / 2**20


def configure(
    layers: list[SynthesisLayerModule],
    *,
    winograd_tile: int | None = 4,
    weight_cache_mb: float = DEFAULT_WEIGHT_CACHE_MB,
    blocked_fir: bool = True,
) -> float:
    """Set every layer's :class:`ConvOptions`; cache transformed weights within a budget.

    Layers are cached smallest first (more layers per MB; the time saved per MB is about
    equal). Returns the MB reserved for cached weights. Clears the layers' prepared state.
    """
    reserved = 0.0
    sizes = [winograd_weight_mb(layer, winograd_tile) if winograd_tile else 0.0 for layer in layers]
    chosen: set[int] = set()
    for i in sorted(range(len(layers)), key=lambda i: sizes[i]):
        if sizes[i] > 0 and reserved + sizes[i] <= weight_cache_mb:
            chosen.add(i)
            reserved += sizes[i]
    for i, layer in enumerate(layers):
        layer.fast.clear()
        layer.fast.options = ConvOptions(winograd_tile, i in chosen, blocked_fir)
    log.debug("fast path: F(%s) Winograd, %.0f MB cached weights", winograd_tile, reserved)
    return reserved


def winograd_modulated_conv(
    layer: SynthesisLayerModule, x: torch.Tensor, styles: torch.Tensor, tile: int
) -> torch.Tensor:
    """d·conv(s·x, W) + b with static Winograd weights (see :mod:`.winograd`).

    With r = rsqrt(mean W²) per output channel (weight normalisation), s the normalised styles
    and Σ_k W² cached per (out, in), the demodulation Σ_{in,k}(r·W·s)² = r²·(Σ_k W²)·s² is a
    matrix-vector product, so no per-sample weight tensor is ever built.
    """

    def stats() -> tuple[torch.Tensor, torch.Tensor]:
        w2 = layer.weight.square()
        return w2.mean([1, 2, 3]).rsqrt(), w2.sum([2, 3])

    row_gain, w_sq = layer.fast.get("w_stats", stats)  # type: ignore[misc]
    s = styles * styles.square().mean().rsqrt()
    demod = (row_gain.square() * (s.square() @ w_sq.t()) + 1e-8).rsqrt()
    out_scale = demod * (row_gain * layer.magnitude_ema.rsqrt())

    def transformed() -> torch.Tensor:
        return winograd.transform_weights(layer.weight, tile)

    cache = layer.fast.options.cache_weights
    u = layer.fast.get(f"winograd{tile}", transformed) if cache else transformed()
    return winograd.winograd_conv2d(
        x, u, tile, layer.attrs.conv_kernel - 1, in_scale=s, out_scale=out_scale, bias=layer.bias
    )
