"""Winograd F(m×m, 3×3) convolution (fast synthesis path) against float64 direct convolution."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lsi_rig.models.generator import fast_ops, winograd
from tests.models.pkl_writer import tiny_synthesis_network


def _direct(x, w, pad, in_scale=None, out_scale=None, bias=None):
    """float64 reference: out_scale·conv(in_scale·x, w) + bias, per sample."""
    x, w = x.double(), w.double()
    if in_scale is not None:
        x = x * in_scale.double()[:, :, None, None]
    y = F.conv2d(x, w, padding=pad)
    if out_scale is not None:
        y = y * out_scale.double()[:, :, None, None]
    if bias is not None:
        y = y + bias.double()[None, :, None, None]
    return y


def _rel_err(got: torch.Tensor, want: torch.Tensor) -> float:
    return ((got.double() - want).abs().max() / want.abs().max()).item()


@pytest.mark.parametrize("m", [2, 4, 6])
def test_transforms_compute_1d_correlation_exactly(m: int):
    at, g, bt = winograd.winograd_matrices(m)
    assert at.shape == (m, m + 2) and g.shape == (m + 2, 3) and bt.shape == (m + 2, m + 2)
    gen = torch.Generator().manual_seed(m)
    d = torch.randn(m + 2, generator=gen, dtype=torch.float64)
    k = torch.randn(3, generator=gen, dtype=torch.float64)
    got = at @ ((g @ k) * (bt @ d))
    want = torch.stack([(d[i : i + 3] * k).sum() for i in range(m)])
    torch.testing.assert_close(got, want, rtol=0, atol=1e-13)


def test_unknown_tile_size_is_refused():
    with pytest.raises(ValueError, match="tile size 3"):
        winograd.winograd_matrices(3)
    with pytest.raises(ValueError, match="3x3"):
        winograd.transform_weights(torch.zeros(2, 2, 1, 1), 4)


SHAPES = [
    # batch, c_in, c_out, height, width: odd sizes, outputs not multiples of the tile
    (1, 3, 5, 7, 9),
    (1, 16, 24, 13, 11),
    (2, 32, 8, 36, 37),
    (1, 96, 64, 21, 30),
    (1, 1, 1, 1, 1),
]


@pytest.mark.parametrize("m", [2, 4, 6])
@pytest.mark.parametrize(("batch", "c_in", "c_out", "height", "width"), SHAPES)
def test_matches_direct_conv_full_padding(m, batch, c_in, c_out, height, width):
    gen = torch.Generator().manual_seed(c_in * 7 + height)
    x = torch.randn(batch, c_in, height, width, generator=gen)
    w = torch.randn(c_out, c_in, 3, 3, generator=gen)
    u = winograd.transform_weights(w, m)
    got = winograd.winograd_conv2d(x.contiguous(memory_format=torch.channels_last), u, m, 2)
    want = _direct(x, w, 2)
    assert got.shape == want.shape == (batch, c_out, height + 2, width + 2)
    assert got.dtype == torch.float32
    assert _rel_err(got, want) <= (3e-5 if m == 6 else 1e-5)


@pytest.mark.parametrize("pad", [0, 1])
def test_other_paddings_and_nchw_input(pad: int):
    gen = torch.Generator().manual_seed(pad)
    x = torch.randn(1, 8, 15, 10, generator=gen)  # plain NCHW input is accepted too
    w = torch.randn(4, 8, 3, 3, generator=gen)
    got = winograd.winograd_conv2d(x, winograd.transform_weights(w, 4), 4, pad)
    want = _direct(x, w, pad)
    assert got.shape == want.shape
    assert _rel_err(got, want) <= 1e-5


def test_scales_bias_batch_and_blocking():
    """Input/output channel scales and bias per sample; tiny blocks give the same numbers."""
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(3, 12, 17, 19, generator=gen).contiguous(memory_format=torch.channels_last)
    w = torch.randn(10, 12, 3, 3, generator=gen)
    s = torch.rand(3, 12, generator=gen) + 0.5
    d = torch.rand(3, 10, generator=gen) + 0.5
    b = torch.randn(10, generator=gen)
    u = winograd.transform_weights(w, 4)
    whole = winograd.winograd_conv2d(x, u, 4, 2, s, d, b)
    blocked = winograd.winograd_conv2d(x, u, 4, 2, s, d, b, block_elements=1)
    want = _direct(x, w, 2, s, d, b)
    assert _rel_err(whole, want) <= 1e-5
    torch.testing.assert_close(blocked, whole, rtol=0, atol=1e-6 * want.abs().max().item())
    # samples do not leak into each other
    alone = winograd.winograd_conv2d(x[1:2], u, 4, 2, s[1:2], d[1:2], b)
    torch.testing.assert_close(alone, whole[1:2], rtol=0, atol=1e-6 * want.abs().max().item())


def test_wide_layer_accuracy_matches_direct_fp32():
    """At 256 channels (close to the network's) F(4) errs no more than fp32 direct conv ×3, or
    than 5e-6 where the CPU's direct conv happens to be more accurate than that (F(4×4, 3×3)
    in fp32 inherently loses a few ulps in its transforms; oneDNN's choice varies by CPU)."""
    gen = torch.Generator().manual_seed(11)
    x = torch.randn(1, 256, 20, 20, generator=gen)
    w = torch.randn(256, 256, 3, 3, generator=gen) / 48
    want = _direct(x, w, 2)
    direct32 = _rel_err(F.conv2d(x, w, padding=2), want)
    got = winograd.winograd_conv2d(x, winograd.transform_weights(w, 4), 4, 2)
    assert _rel_err(got, want) <= max(3 * direct32, 5e-6)
    assert _rel_err(got, want) <= 1e-5


def test_wrong_weight_shape_is_refused():
    u = winograd.transform_weights(torch.zeros(4, 8, 3, 3), 4)
    with pytest.raises(ValueError, match="do not fit"):
        winograd.winograd_conv2d(torch.zeros(1, 7, 5, 5), u, 4, 2)
    with pytest.raises(ValueError, match="do not fit"):
        winograd.winograd_conv2d(torch.zeros(1, 8, 5, 5), u, 2, 2)


def test_flop_counts():
    assert winograd.flops_direct(2, 3, 4, 4) == 9 * 2 * 3 * 16
    assert winograd.flops_winograd(2, 3, 4, 4, 4) == 36 * 2 * 3
    assert winograd.flops_winograd(2, 3, 5, 4, 4) == 36 * 2 * 3 * 2


# ---- the layer inside the synthesis network -----------------------------------------------
def _set_conv(net, **options) -> None:
    for layer in net.layers():
        layer.fast.clear()
        layer.fast.options = fast_ops.ConvOptions(**options)


@pytest.mark.parametrize("cache_weights", [True, False])
@pytest.mark.parametrize("m", [2, 4, 6])
def test_tiny_network_winograd_vs_reference(m: int, cache_weights: bool):
    net = tiny_synthesis_network(seed=6)
    ws = torch.randn(2, net.num_ws, net.w_dim, generator=torch.Generator().manual_seed(3))
    ref_img, ref_feats = net(ws, capture=net.layer_names)
    net.set_impl("fast", dtype=torch.float32)
    _set_conv(net, winograd_tile=m, cache_weights=cache_weights)
    img, feats = net(ws, capture=net.layer_names)
    tol = 3e-5 if m == 6 else 1e-5
    assert (img - ref_img).abs().max() <= tol * ref_img.abs().max()
    for name in net.layer_names:
        assert (feats[name] - ref_feats[name]).abs().max() <= tol * ref_feats[name].abs().max()
    cached = [k for layer in net.layers() for k in layer.fast.items if k.startswith("winograd")]
    n_3x3 = sum(1 for layer in net.layers() if layer.attrs.conv_kernel == 3)
    assert len(cached) == (n_3x3 if cache_weights else 0)
    assert torch.equal(net(ws)[0], img)  # cached state gives the same frame again


def test_dense_and_winograd_fast_paths_agree_and_default_is_f4():
    net = tiny_synthesis_network(seed=7)
    ws = torch.randn(1, net.num_ws, net.w_dim, generator=torch.Generator().manual_seed(4))
    net.set_impl("fast", dtype=torch.float32)
    options = {layer.fast.options for layer in net.layers() if layer.attrs.conv_kernel == 3}
    assert options == {fast_ops.ConvOptions(winograd_tile=4, cache_weights=True)}  # tiny: fits
    wino = net(ws)[0]
    _set_conv(net, winograd_tile=None)
    dense = net(ws)[0]
    assert not any(k.startswith("winograd") for layer in net.layers() for k in layer.fast.items)
    assert (wino - dense).abs().max() <= 1e-5 * dense.abs().max()


def test_configure_caches_smallest_layers_within_budget():
    net = tiny_synthesis_network(seed=8)
    layers = net.layers()
    sizes = [fast_ops.winograd_weight_mb(layer, 4) for layer in layers]
    torgb = [i for i, layer in enumerate(layers) if layer.attrs.is_torgb]
    assert torgb and all(sizes[i] == 0 for i in torgb)
    first = layers[0].attrs
    assert sizes[0] == 36 * first.out_channels * first.in_channels * 4 / 2**20
    positive = sorted(x for x in sizes if x > 0)
    budget = sum(positive[:2]) + 1e-12  # room for exactly the two smallest
    reserved = fast_ops.configure(layers, weight_cache_mb=budget)
    cached = [layer.fast.options.cache_weights for layer in layers]
    assert sum(cached) == 2 and reserved == pytest.approx(budget)
    assert max(s for s, c in zip(sizes, cached, strict=True) if c) <= positive[1]
    assert fast_ops.configure(layers, weight_cache_mb=0) == 0
    assert not any(layer.fast.options.cache_weights for layer in layers)
    fast_ops.configure(layers, winograd_tile=None, blocked_fir=False)
    assert {layer.fast.options for layer in layers} == {
        fast_ops.ConvOptions(winograd_tile=None, cache_weights=False, blocked_fir=False)
    }


def test_config_b_default_cache_budget():
    """Config B: all F(4) caches would take 1.92 GiB; the default budget is 768 MiB."""
    from tests.models.pkl_writer import CONFIGS

    rows = CONFIGS["B"][0]()
    total = sum(36 * r.c_out * r.c_in * 4 / 2**20 for r in rows if r.k == 3)
    assert 1900 < total < 1950  # MiB (2.0 GB)
    assert total / 2 > fast_ops.DEFAULT_WEIGHT_CACHE_MB
