"""Winograd F(m×m, 3×3) convolution for the modulated 3×3 convs of the fast synthesis path.

Why: the modulated 3×3 convolutions are 731 GMAC of the 768 GMAC of a 256² frame. Winograd's
minimal filtering computes an m×m output tile from an (m+2)² input tile with (m+2)² products
instead of 9·m²: F(4×4, 3×3) needs 36 instead of 144 (4× fewer), F(6×6, 3×3) 64 instead of 324
(5.1×). Each of the (m+2)² products is a dense GEMM ``[tiles, C_in] × [C_in, C_out]``, which
MKL runs near peak on AVX2, while oneDNN offers Winograd only on AVX-512.

Modulation without per-sample weights: with s the (normalised) style of the input channels
and d the demodulation·input-gain of the output channels, conv(x, W·s·d) = d·conv(x·s, W).
So the transformed weights U = G·W·Gᵀ depend only on the stored, normalised W: ``s`` scales
the input while it is gathered into tiles, ``d`` (and the bias) scales the output while it is
scattered back, and a batch shares one GEMM. U is either cached (4× the weight memory for
F(4)) or recomputed each forward (one K=9 GEMM per layer).

Accuracy: the transforms are built exactly (rational arithmetic) from the interpolation
points and applied as small dense matrices in fp32. Points 0, ±1, ±2 (F(4)) and additionally
±1/2 (F(6)) keep the entries small; measured errors are in ``tests/models/test_winograd.py``
(F(4): ~1e-6 of the output scale, F(6): ~1e-5).

Layout: activations are channels-last (``[B, C, H, W]`` with NHWC strides), like the FIR
passes of :mod:`.fast_ops`; tiles are ``[(m+2)², B·tiles, C]`` so that every transform is one
GEMM over a contiguous channel axis.
"""

from __future__ import annotations

import functools
import logging
import math
from fractions import Fraction

import torch

log = logging.getLogger(__name__)

__all__ = [
    "POINTS",
    "transform_weights",
    "winograd_conv2d",
    "winograd_matrices",
]

#: Interpolation points (plus the point at infinity) per output tile size m, for r = 3.
POINTS: dict[int, tuple[Fraction, ...]] = {
    2: (Fraction(0), Fraction(1), Fraction(-1)),
    4: (Fraction(0), Fraction(1), Fraction(-1), Fraction(1, 2), Fraction(-2)),
    6: tuple(Fraction(p) for p in (0, 1, -1, 2, -2, Fraction(1, 2), Fraction(-1, 2))),
}

#: Default upper bound of floats in one tile-domain temporary (one block of tile rows).
BLOCK_ELEMENTS = 6 * 2**20


def _poly_mul(p: list[Fraction], q: list[Fraction]) -> list[Fraction]:
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    return out


@functools.cache
def winograd_matrices(m: int, r: int = 3) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(Aᵀ [m, n], G [n, r], Bᵀ [n, n]) in float64 for correlation F(m, r), n = m + r − 1.

    Toom–Cook with points a_j and ∞: G evaluates the filter polynomial at a_j (scaled by
    1/N_j, N_j = Π_{l≠j}(a_j − a_l)), Aᵀ is the Vandermonde of the output polynomial, and Bᵀ
    is the transposed Lagrange interpolation (rows = coefficients of M(x)/(x − a_j) and of
    M(x)), which turns linear convolution into correlation.
    """
    if m not in POINTS:
        raise ValueError(f"Winograd tile size {m} unsupported; use one of {sorted(POINTS)}")
    pts = POINTS[m]
    n = m + r - 1
    if len(pts) != n - 1:
        raise ValueError(f"F({m},{r}) needs {n - 1} finite points, have {len(pts)}")
    full = [Fraction(1)]
    for a in pts:
        full = _poly_mul(full, [-a, Fraction(1)])
    at = [[a**i for a in pts] + [Fraction(int(i == m - 1))] for i in range(m)]
    g, bt = [], []
    for j, a in enumerate(pts):
        mj = [Fraction(1)]
        for l_, b in enumerate(pts):
            if l_ != j:
                mj = _poly_mul(mj, [-b, Fraction(1)])
        nj = sum(c * a**k for k, c in enumerate(mj))
        g.append([a**k / nj for k in range(r)])
        bt.append([*mj, Fraction(0)])
    g.append([Fraction(int(k == r - 1)) for k in range(r)])
    bt.append(full)

    def as_t(rows: list[list[Fraction]]) -> torch.Tensor:
        return torch.tensor([[float(v) for v in row] for row in rows], dtype=torch.float64)

    return as_t(at), as_t(g), as_t(bt)


@functools.cache
def _kron_mats(m: int, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """2-D transforms as Kronecker products: (Aᵀ⊗Aᵀ [m², n²], G⊗G [n², 9], Bᵀ⊗Bᵀ [n², n²])."""
    at, g, bt = winograd_matrices(m)
    return (
        torch.kron(at, at).to(dtype),
        torch.kron(g, g).to(dtype),
        torch.kron(bt, bt).to(dtype),
    )


def transform_weights(weight: torch.Tensor, m: int) -> torch.Tensor:
    """U = G·W·Gᵀ for every (out, in) pair: ``[C_out, C_in, 3, 3]`` → ``[n², C_out, C_in]``.

    One GEMM (G⊗G) [n², 9] × [9, C_out·C_in]; each entry is a ≤9-term sum of small rationals
    times weights, so fp32 rounding here is negligible against the tile transforms.
    """
    c_out, c_in, kh, kw = weight.shape
    if (kh, kw) != (3, 3):
        raise ValueError(f"Winograd path is for 3x3 kernels, got {kh}x{kw}")
    _, gg, _ = _kron_mats(m, weight.dtype)
    u = gg.to(weight.device) @ weight.reshape(c_out * c_in, 9).t()
    return u.view(-1, c_out, c_in)


def _tile_count(size_out: int, m: int) -> int:
    return -(-size_out // m)


def winograd_conv2d(
    x: torch.Tensor,
    u: torch.Tensor,
    m: int,
    padding: int,
    in_scale: torch.Tensor | None = None,
    out_scale: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    block_elements: int | None = None,
) -> torch.Tensor:
    """3×3 correlation (``F.conv2d`` semantics) of ``x [B, C_in, H, W]`` with pre-transformed
    weights ``u [n², C_out, C_in]`` (:func:`transform_weights`), zero padding ``padding``.

    ``in_scale [B, C_in]`` multiplies the input channels, ``out_scale [B, C_out]`` the output
    channels and ``bias [C_out]`` is added last: ``out_scale·conv(in_scale·x) + bias``.
    ``block_elements`` bounds each temporary (tiles are processed in blocks of tile rows):
    blocks under glibc's 32 MB mmap threshold are recycled from the heap instead of being
    page-faulted in afresh, and stay closer to the caches.
    Returns channels-last ``[B, C_out, H + 2p − 2, W + 2p − 2]`` (a view of a tile-padded
    buffer when the size is not a multiple of m).
    """
    batch, c_in, height, width = x.shape
    n = m + 2
    c_out = u.shape[1]
    if u.shape != (n * n, c_out, c_in):
        raise ValueError(f"weights {tuple(u.shape)} do not fit F({m},3) with {c_in} channels")
    dtype, device = x.dtype, x.device
    block_elements = block_elements or BLOCK_ELEMENTS
    h_out, w_out = height + 2 * padding - 2, width + 2 * padding - 2
    th, tw = _tile_count(h_out, m), _tile_count(w_out, m)
    at2, _, bt2 = (t.to(device) for t in _kron_mats(m, dtype))
    src = x.permute(0, 2, 3, 1)  # NHWC view (contiguous for channels-last input)
    scale_in = None if in_scale is None else in_scale.to(dtype)[:, None, None, :]
    scale_out = None if out_scale is None else out_scale.to(dtype)[None, None, :, None, None, :]
    bias_out = None if bias is None else bias.to(dtype)

    out = torch.empty((batch, th * m, tw * m, c_out), dtype=dtype, device=device)
    ob, oh, ow, oc = out.stride()
    wp = tw * m + 2
    per_row = n * n * batch * tw * max(c_in, c_out)
    rows_per_block = max(1, min(th, block_elements // max(1, per_row)))
    for r0 in range(0, th, rows_per_block):
        rows = min(rows_per_block, th - r0)
        tiles = batch * rows * tw
        # zero-padded input slab for this block of tile rows (input scale fused into the copy)
        slab = x.new_zeros((batch, rows * m + 2, wp, c_in))
        y0 = r0 * m - padding  # image row of slab row 0
        lo, hi = max(0, y0), min(height, y0 + rows * m + 2)
        if hi > lo:
            dst_in = slab[:, lo - y0 : hi - y0, padding : padding + width]
            if scale_in is None:
                dst_in.copy_(src[:, lo:hi])
            else:
                torch.mul(src[:, lo:hi], scale_in, out=dst_in)
        sb, sh, sw, sc = slab.stride()
        # overlapping n×n tiles [n, n, B, rows, tw, C_in] → contiguous [n², B·rows·tw·C_in]
        patches = slab.as_strided((n, n, batch, rows, tw, c_in), (sh, sw, sb, m * sh, m * sw, sc))
        patches = patches.reshape(n * n, tiles * c_in)
        del slab
        v = (bt2 @ patches).view(n * n, tiles, c_in)
        del patches
        prod = torch.bmm(v, u.transpose(1, 2))  # [n², tiles, C_out]: the 4×-cheaper conv
        del v
        y = (at2 @ prod.view(n * n, tiles * c_out)).view(m, m, batch, rows, tw, c_out)
        del prod
        dst = out.as_strided(
            (m, m, batch, rows, tw, c_out),
            (oh, ow, ob, m * oh, m * ow, oc),
            out.storage_offset() + r0 * m * oh,
        )
        if scale_out is not None and bias_out is not None:
            torch.addcmul(bias_out, y, scale_out, out=dst)
        elif scale_out is not None:
            torch.mul(y, scale_out, out=dst)
        elif bias_out is not None:
            torch.add(y, bias_out, out=dst)
        else:
            dst.copy_(y)
        del y
    return out[:, :h_out, :w_out].permute(0, 3, 1, 2)


def flops_direct(c_in: int, c_out: int, h_out: int, w_out: int) -> float:
    """MACs of a direct 3×3 convolution (for logs and benches)."""
    return 9.0 * c_in * c_out * h_out * w_out


def flops_winograd(c_in: int, c_out: int, h_out: int, w_out: int, m: int) -> float:
    """MACs of the Winograd GEMMs (tile padding included; transforms excluded)."""
    n = m + 2
    return float(n * n * c_in * c_out * math.ceil(h_out / m) * math.ceil(w_out / m))
