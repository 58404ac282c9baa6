"""Blocked alias-free activation (up-FIR → leaky ReLU → down-FIR) for the fast synthesis path.

Why blocks: after the Winograd conv, the separable FIR passes dominated a frame, and not by
arithmetic (≈ 37 GMAC in all) but by memory: L14's 4× upsampled intermediate is 485 × 562²
floats (613 MB), written, activated in place, read, and page-faulted in afresh every frame.
Here each block of ``channel_block`` channels × ``rows`` output rows is upsampled, activated
and downsampled while it is small enough to stay in the caches (and under glibc's 32 MB mmap
threshold, so its memory is recycled instead of faulted in again). Only the halo of the down
filter (taps − down rows per block) is computed twice.

Why GEMMs: polyphase upsampling is a banded linear map along one axis. Grouping ``g_out``
consecutive outputs (a multiple of ``up``) gives the same small matrix ``T [g_out, g_in]`` for
every group, so a whole pass is one batched GEMM over overlapping strided views of the input,
with channels (W pass) or whole channels-last rows (H pass) as the long GEMM dimension. The
zero taps of T contribute exact zeros, so results equal the per-phase depthwise convolutions.
The down-filter keeps oneDNN's strided depthwise convolution (measured faster than a band GEMM).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from lsi_rig.models.generator.fast_ops import UpPlan

__all__ = ["Band", "band_down", "band_from_plan", "filtered_lrelu_blocked"]

#: Floats in one block's largest temporary (the upsampled rows of one channel block).
BLOCK_ELEMENTS = 2 * 2**20
#: Upsampled rows per block aimed for: the down filter's halo (taps − down rows) stays ≲ 20 %.
Z_ROWS_TARGET = 64


@dataclass(frozen=True)
class Band:
    """Banded 1-D operator: ``out[q·g_out + i] = Σ_t T[i, t] · xpad[base + q·step + t]``.

    ``xpad`` is the input with ``pad_lo`` zeros in front; ``out_len`` outputs are defined.
    """

    matrix: torch.Tensor
    base: int
    step: int
    pad_lo: int
    out_len: int

    @property
    def g_out(self) -> int:
        return self.matrix.shape[0]

    @property
    def g_in(self) -> int:
        return self.matrix.shape[1]

    def padded_len(self, n_out: int, first: int = 0) -> int:
        """Padded input length needed to compute outputs [first, first + n_out) in groups."""
        groups = -(-n_out // self.g_out)
        return self.base + (first // self.g_out) * self.step + (groups - 1) * self.step + self.g_in


def band_from_plan(plan: UpPlan, g_out: int) -> Band:
    """Band form of polyphase upsampling (see :func:`.fast_ops.plan_upsample`)."""
    up = plan.up
    g_out = max(up, g_out - g_out % up)
    per_phase = g_out // up
    base = min(plan.starts)
    taps = max(b.shape[0] for b in plan.banks)
    g_in = max(s - base for s in plan.starts) + per_phase - 1 + max(taps, 1)
    t = torch.zeros(g_out, g_in, dtype=torch.float64)
    for i in range(g_out):
        r, j = i % up, i // up
        for k, v in enumerate(plan.banks[r].to(torch.float64)):
            t[i, plan.starts[r] - base + j + k] += v
    return Band(t.to(torch.float32), base, per_phase, plan.pad_lo, plan.out_len)


def band_down(fd: torch.Tensor, down: int, g_out: int = 4) -> Band:
    """Band form of FIR (true convolution with ``fd``) then keep every ``down``-th sample."""
    taps = fd.flip(0).to(torch.float64)
    g_in = down * (g_out - 1) + taps.shape[0]
    t = torch.zeros(g_out, g_in, dtype=torch.float64)
    for i in range(g_out):
        t[i, down * i : down * i + taps.shape[0]] = taps
    return Band(t.to(torch.float32), 0, down * g_out, 0, 0)


def _band_w(x: torch.Tensor, band: Band) -> torch.Tensor:
    """W pass on NHWC ``x [B, H, W, C]`` → ``[B, H, groups·g_out, C]`` (columns ≥ out_len are
    scratch values of the zero padding, finite, to be ignored)."""
    b, h, w, c = x.shape
    groups = -(-band.out_len // band.g_out)
    wp = max(band.padded_len(band.out_len), band.pad_lo + w)
    xp = x.new_zeros((b, h, wp, c))
    xp[:, :, band.pad_lo : band.pad_lo + w] = x
    v = xp.as_strided(
        (b, h, groups, band.g_in, c),
        (h * wp * c, wp * c, band.step * c, c, 1),
        band.base * c,
    )
    out = torch.matmul(band.matrix.to(x.dtype), v)  # [B, H, groups, g_out, C]
    return out.view(b, h, groups * band.g_out, c)


def _band_h_rows(xp: torch.Tensor, band: Band, first: int, count: int) -> torch.Tensor:
    """H pass outputs ``[first, first + count)`` (``first`` a multiple of g_out) of one sample
    ``xp [H_pad, W, C]`` (already padded by ``pad_lo``) → ``[groups·g_out, W, C]``."""
    _, w, c = xp.shape
    groups = -(-count // band.g_out)
    row = w * c
    offset = (band.base + (first // band.g_out) * band.step) * row
    v = xp.as_strided((groups, band.g_in, row), (band.step * row, row, 1), offset)
    out = torch.matmul(band.matrix.to(xp.dtype), v)  # [groups, g_out, W·C]
    return out.view(groups * band.g_out, w, c)


def filtered_lrelu_blocked(
    x: torch.Tensor,
    band_w: Band,
    band_h: Band,
    band_dn: Band,
    fd: torch.Tensor,
    down: int,
    slope: float,
    clamp: float | None,
    block_elements: int | None = None,
) -> torch.Tensor:
    """Upsample (bands, gains folded in) → leaky ReLU, clamp → down-filter ``fd``, decimate.

    ``x [B, C, H, W]`` (any strides; channels-last is cheapest); ``band_dn`` is
    :func:`band_down` of ``fd`` (the H pass; the W pass is oneDNN's strided depthwise conv).
    Returns channels-last ``[B, C, H_out, W_out]``.
    """
    batch, channels, height, _ = x.shape
    z_rows, z_cols = band_h.out_len, band_w.out_len
    taps = fd.shape[0]
    h_out = (z_rows - taps) // down + 1
    w_out = (z_cols - taps) // down + 1
    flipped = fd.flip(0).to(x.dtype)
    out = torch.empty(
        (batch, channels, h_out, w_out), dtype=x.dtype, memory_format=torch.channels_last
    )
    out_nhwc = out.permute(0, 2, 3, 1)
    w_full = -(-z_cols // band_w.g_out) * band_w.g_out
    budget = block_elements or BLOCK_ELEMENTS
    c_blk = max(8, min(channels, budget // max(1, Z_ROWS_TARGET * w_full)))
    c_blk = min(channels, -(-c_blk // 8) * 8)
    # output rows per block: a multiple of both groupings, upsampled rows (+ halo) within budget
    unit = math.lcm(math.lcm(band_h.g_out, down) // down, band_dn.g_out)
    rows = max(unit, (budget // max(1, w_full * c_blk) - taps) // down // unit * unit)
    h_pad = max(band_h.padded_len(z_rows), band_h.pad_lo + height)
    xn = x.permute(0, 2, 3, 1)
    for c0 in range(0, channels, c_blk):
        c1 = min(channels, c0 + c_blk)
        cb = c1 - c0
        xw = _band_w(xn[..., c0:c1], band_w)  # [B, H, w_full, cb]
        w_taps = flipped.repeat(cb, 1)[:, None, None, :]
        for s in range(batch):
            xp = xw.new_zeros((h_pad, w_full, cb))
            xp[band_h.pad_lo : band_h.pad_lo + height] = xw[s]
            for o0 in range(0, h_out, rows):
                o1 = min(h_out, o0 + rows)
                n_o = o1 - o0
                n_z = (n_o - 1) * down + taps
                z = _band_h_rows(xp, band_h, o0 * down, n_z)  # [≥ n_z, w_full, cb]
                if slope != 1:
                    F.leaky_relu_(z, slope)
                if clamp is not None and clamp >= 0:
                    z.clamp_(-clamp, clamp)
                if z.shape[0] < band_dn.padded_len(n_o):
                    z = F.pad(z, (0, 0, 0, 0, 0, band_dn.padded_len(n_o) - z.shape[0]))
                zd = _band_h_rows(z, band_dn, 0, n_o)  # [≥ n_o, w_full, cb]
                zc = zd.view(1, *zd.shape).permute(0, 3, 1, 2)  # channels-last NCHW view
                zc = F.conv2d(zc, w_taps, stride=(1, down), groups=cb)
                out_nhwc[s, o0:o1, :, c0:c1].copy_(zc.permute(0, 2, 3, 1)[0, :n_o, :w_out])
    return out
