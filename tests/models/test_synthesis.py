"""Synthesis network: reference ops vs independent numpy code, fast vs reference, shapes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.lib.stride_tricks import sliding_window_view

from lsi_rig.core.errors import ModelError
from lsi_rig.models.generator import (
    SynthesisNetwork,
    fast_ops,
    load_generator,
    load_generator_records,
    ops,
)
from tests.models.pkl_writer import (
    CONFIGS,
    make_generator_records,
    padding_rule,
    tiny_synthesis_network,
    write_generator_pickle,
)

HOOKED_B = {
    "L3_36_1024": (1024, 36, 36),
    "L9_52_1024": (1024, 52, 52),
    "L11_84_1024": (1024, 84, 84),
    "L13_148_919": (919, 148, 148),
    "L15_276_256": (256, 276, 276),
    "L16_256_256": (256, 256, 256),
}


# ---- independent float64 numpy re-implementation (written from lsi-model.md §6.5) -----------
def np_upfirdn2d(x, f, up=1, down=1, pad=(0, 0, 0, 0), gain=1.0):
    """x [N, C, H, W]; zero-insert, pad/crop, true 2-D convolution with f (outer if 1-D)."""
    n, c, h, w = x.shape
    xu = np.zeros((n, c, h * up, w * up))
    xu[:, :, ::up, ::up] = x
    px0, px1, py0, py1 = pad
    xu = np.pad(xu, ((0, 0), (0, 0), (max(py0, 0), max(py1, 0)), (max(px0, 0), max(px1, 0))))
    xu = xu[
        :, :, max(-py0, 0) : xu.shape[2] - max(-py1, 0), max(-px0, 0) : xu.shape[3] - max(-px1, 0)
    ]
    f = np.ones((1, 1)) if f is None else np.asarray(f, dtype=np.float64)
    f2 = (np.outer(f, f) if f.ndim == 1 else f) * gain
    th, tw = f2.shape
    out = np.zeros((n, c, xu.shape[2] - th + 1, xu.shape[3] - tw + 1))
    for a in range(th):
        for b in range(tw):
            out += xu[:, :, a : a + out.shape[2], b : b + out.shape[3]] * f2[th - 1 - a, tw - 1 - b]
    return out[:, :, ::down, ::down]


def np_fc(x, t, prefix, wg, bg):
    w = t[f"{prefix}.affine.weight"].double().numpy()
    b = t[f"{prefix}.affine.bias"].double().numpy()
    return x @ (w * wg).T + b * bg


def np_input(w0, attrs, t):
    a = attrs.input
    tt = np_fc(w0, t, "input", a.affine_weight_gain, a.affine_bias_gain)
    tt = tt / np.linalg.norm(tt[:, :2], axis=1, keepdims=True)
    freqs = t["input.freqs"].double().numpy()
    phases = t["input.phases"].double().numpy()
    transform = t["input.transform"].double().numpy()
    width, height = a.size
    xs = (np.arange(width) + 0.5 - width / 2) / a.sampling_rate
    ys = (np.arange(height) + 0.5 - height / 2) / a.sampling_rate
    out = []
    for c_, s_, tx, ty in tt:
        rot = np.array([[c_, -s_, 0], [s_, c_, 0], [0, 0, 1]])
        shift = np.array([[1, 0, -tx], [0, 1, -ty], [0, 0, 1]])
        m = rot @ shift @ transform
        ph = phases + freqs @ m[:2, 2]
        fr = freqs @ m[:2, :2]
        amp = np.clip(1 - (np.linalg.norm(fr, axis=1) - a.bandwidth)
                      / (a.sampling_rate / 2 - a.bandwidth), 0, 1)  # fmt: skip
        arg = xs[None, :, None] * fr[:, 0] + ys[:, None, None] * fr[:, 1] + ph
        feat = np.sin(2 * np.pi * arg) * amp  # [H, W, C]
        weight = t["input.weight"].double().numpy() / np.sqrt(a.channels)
        out.append((feat @ weight.T).transpose(2, 0, 1))
    return np.stack(out)


def np_layer(x, w, la, t):
    n = la.name
    s = np_fc(w, t, n, la.affine_weight_gain, la.affine_bias_gain)
    weight = t[f"{n}.weight"].double().numpy()
    if la.is_torgb:
        s = s / np.sqrt(la.in_channels * la.conv_kernel**2)
    else:
        weight = weight / np.sqrt(np.mean(weight**2, axis=(1, 2, 3), keepdims=True))
        s = s / np.sqrt(np.mean(s**2))
    wm = weight[None] * s[:, None, :, None, None]
    if not la.is_torgb:
        wm = wm / np.sqrt(np.sum(wm**2, axis=(2, 3, 4), keepdims=True) + 1e-8)
    wm = wm / np.sqrt(float(t[f"{n}.magnitude_ema"]))
    k = la.conv_kernel
    xp = np.pad(x, ((0, 0), (0, 0), (k - 1, k - 1), (k - 1, k - 1)))
    win = sliding_window_view(xp, (k, k), axis=(2, 3))  # [B, C, H', W', k, k]
    y = np.einsum("bchwij,bocij->bohw", win, wm)
    y = y + t[f"{n}.bias"].double().numpy()[None, :, None, None]
    up_f, dn_f = t.get(f"{n}.up_filter"), t.get(f"{n}.down_filter")
    y = np_upfirdn2d(y, None if up_f is None else up_f.double().numpy(), up=la.up_factor,
                     pad=la.padding, gain=la.up_factor**2)  # fmt: skip
    gain, slope = (1.0, 1.0) if la.is_torgb else (math.sqrt(2), 0.2)
    y = np.where(y >= 0, y, y * slope) * gain
    y = np.clip(y, -la.conv_clamp, la.conv_clamp)
    return np_upfirdn2d(y, None if dn_f is None else dn_f.double().numpy(), down=la.down_factor)


def np_synthesis(ws, records):
    a, t = records.attrs, records.tensors
    x = np_input(ws[:, 0], a, t)
    feats = {}
    for i, la in enumerate(a.layers):
        x = np_layer(x, ws[:, i + 1], la, t)
        feats[la.name] = x
    return x * a.output_scale, feats


# ---- upfirdn2d ---------------------------------------------------------------------------
UPFIRDN_CASES = [
    # up, down, padding, taps, gain
    (1, 1, (0, 0, 0, 0), 1, 1.0),
    (2, 1, (9, 8, 9, 8), 12, 4.0),
    (4, 1, (-6, -9, -6, -9), 24, 16.0),
    (2, 1, (-11, -12, -11, -12), 12, 4.0),
    (1, 2, (0, 0, 0, 0), 12, 1.0),
    (3, 2, (2, -1, 0, 3), 5, 1.0),
    (1, 1, (3, 1, -2, 2), 4, 2.5),
]


@pytest.mark.parametrize(("up", "down", "pad", "taps", "gain"), UPFIRDN_CASES)
def test_upfirdn2d_ref_matches_numpy(up, down, pad, taps, gain):
    g = torch.Generator().manual_seed(taps + up)
    x = torch.randn(2, 3, 30, 31, generator=g, dtype=torch.float64)
    f = torch.randn(taps, generator=g, dtype=torch.float64)  # asymmetric: checks the flip
    got = ops.upfirdn2d_ref(x, f, up=up, down=down, padding=pad, gain=gain)
    want = np_upfirdn2d(x.numpy(), f.numpy(), up, down, pad, gain)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-10)


def test_upfirdn2d_ref_2d_filter_and_none():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(1, 2, 9, 8, generator=g, dtype=torch.float64)
    f = torch.randn(3, 4, generator=g, dtype=torch.float64)
    got = ops.upfirdn2d_ref(x, f, up=2, padding=(1, 2, 0, 1), gain=3.0)
    want = np_upfirdn2d(x.numpy(), f.numpy(), 2, 1, (1, 2, 0, 1), 3.0)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-10)
    assert torch.equal(ops.upfirdn2d_ref(x, None), x)


@pytest.mark.parametrize(("up", "pad", "taps"), [(2, (9, 8), 12), (4, (-6, -9), 24),
                                                 (2, (-11, -12), 12), (3, (4, -2), 7),
                                                 (2, (0, 0), 1)])  # fmt: skip
def test_polyphase_upsampling_equals_zero_insertion(up, pad, taps):
    g = torch.Generator().manual_seed(up * taps)
    x = torch.randn(1, 5, 21, 23, generator=g)
    f = torch.randn(taps, generator=g)
    want = ops.upfirdn2d_ref(x, f, up=up, padding=(pad[0], pad[1], pad[0], pad[1]), gain=up**2)
    plan_w = fast_ops.plan_upsample(23, f, up, pad[0], pad[1], up)
    plan_h = fast_ops.plan_upsample(21, f, up, pad[0], pad[1], up)
    got = fast_ops.upsample_polyphase(fast_ops.to_compute(x, torch.float32), plan_w, axis=3)
    got = fast_ops.upsample_polyphase(got, plan_h, axis=2)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5 * want.abs().max().item())


@pytest.mark.parametrize(("down", "taps"), [(2, 12), (2, 11), (3, 5), (1, 4)])
def test_strided_downsampling_equals_filter_then_slice(down, taps):
    g = torch.Generator().manual_seed(down * taps)
    x = torch.randn(2, 4, 33, 30, generator=g)
    f = torch.randn(taps, generator=g)
    want = ops.upfirdn2d_ref(x, f, down=down)
    got = fast_ops.downsample_strided(fast_ops.to_compute(x, torch.float32), f, down, axis=3)
    got = fast_ops.downsample_strided(got, f, down, axis=2)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5 * want.abs().max().item())


def test_reference_channel_blocks_agree():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, 7, 14, 14, generator=g) * 50
    fu, fd, b = torch.randn(12, generator=g), torch.randn(12, generator=g), torch.randn(7)
    args = (fu, fd, b, 2, 2, (9, 8, 9, 8), math.sqrt(2), 0.2, 256.0)
    whole = ops.filtered_lrelu_ref(x, *args)
    assert torch.equal(whole, ops.filtered_lrelu_ref(x, *args, channel_block=7))
    blocks = ops.filtered_lrelu_ref(x, *args, channel_block=2)
    assert (whole - blocks).abs().max() <= 1e-6 * whole.abs().max()
    assert whole.abs().max() <= 256 * fd.abs().sum() ** 2


# ---- the network -------------------------------------------------------------------------
def test_tiny_pickle_attributes_are_read(tmp_path: Path):
    info = write_generator_pickle(tmp_path / "g.pkl", config="tiny", seed=2)
    net = load_generator(tmp_path / "g.pkl")
    direct = make_generator_records("tiny", seed=2)
    assert net.layer_names == info["layer_names"]
    assert (net.num_ws, net.w_dim, net.img_resolution) == (6, 16, 16)
    assert net.impl == "reference"
    for row in info["rows"]:
        la = getattr(net, row.name).attrs
        assert net.layer_output_shape(row.name) == info["shapes"][row.name]
        assert la.padding == padding_rule(row)
        assert (la.up_factor, la.down_factor, la.conv_kernel) == (row.up, row.down, row.k)
        assert la.conv_clamp == 256 and la.is_torgb == (row.k == 1)
        assert la.in_cutoff == row.fc_in and la.tmp_sampling_rate == row.s_tmp
        assert la.affine_weight_gain == pytest.approx(1 / math.sqrt(16), rel=1e-15)
    state = net.state_dict()
    assert state.keys() == direct.tensors.keys()
    assert all(torch.equal(state[k], direct.tensors[k]) for k in state)
    assert 0.5 <= float(state["L0_12_8.magnitude_ema"]) <= 2.0
    with pytest.raises(ModelError, match="no synthesis layer"):
        net.layer_output_shape("L99")


def test_reference_matches_independent_numpy_float64():
    records = make_generator_records("tiny", seed=1)
    net = SynthesisNetwork(records)
    ws = torch.randn(2, net.num_ws, net.w_dim, generator=torch.Generator().manual_seed(9))
    img, feats = net(ws, capture=net.layer_names)
    want_img, want_feats = np_synthesis(ws.double().numpy(), records)
    scale = np.abs(want_img).max()
    assert scale > 1e-3
    np.testing.assert_allclose(img.numpy(), want_img, rtol=0, atol=2e-5 * scale)
    for name, feat in feats.items():
        ref = want_feats[name]
        np.testing.assert_allclose(feat.numpy(), ref, rtol=0, atol=2e-5 * np.abs(ref).max())


@pytest.mark.parametrize("batch", [1, 3])
def test_fast_matches_reference_on_tiny(batch: int):
    net = tiny_synthesis_network(seed=4)
    ws = torch.randn(batch, net.num_ws, net.w_dim, generator=torch.Generator().manual_seed(1))
    ref_img, ref_feats = net(ws, capture=net.layer_names)
    net.set_impl("fast", dtype=torch.float32)
    img, feats = net(ws, capture=net.layer_names)
    assert img.dtype == torch.float32 and img.shape == ref_img.shape
    assert (img - ref_img).abs().max() <= 1e-5 * ref_img.abs().max()
    for name in net.layer_names:
        assert feats[name].is_contiguous() and feats[name].dtype == torch.float32
        assert (feats[name] - ref_feats[name]).abs().max() <= 1e-5 * ref_feats[name].abs().max()
    net.set_impl("reference")
    assert torch.equal(net(ws)[0], ref_img)


def test_fast_bf16_returns_float32_close_to_reference():
    net = tiny_synthesis_network(seed=4)
    ws = torch.randn(1, net.num_ws, net.w_dim, generator=torch.Generator().manual_seed(1))
    ref = net(ws)[0]
    net.set_impl("fast", dtype=torch.bfloat16)
    img, feats = net(ws, capture=["L2_20_4"])
    assert img.dtype == torch.float32 and feats["L2_20_4"].dtype == torch.float32
    assert (img - ref).abs().max() <= 0.05 * ref.abs().max()


def test_batch_samples_are_independent():
    net = tiny_synthesis_network(seed=5)
    ws = torch.randn(3, net.num_ws, net.w_dim, generator=torch.Generator().manual_seed(2))
    together = net(ws)[0]
    alone = net(ws[1:2])[0]
    torch.testing.assert_close(together[1:2], alone, rtol=0, atol=1e-6)


def test_default_fast_dtype_follows_the_cpu(monkeypatch):
    net = tiny_synthesis_network()
    monkeypatch.setattr(fast_ops, "cpu_has_native_bf16", lambda: False)
    net.set_impl("fast")
    assert net.compute_dtype == torch.float32
    monkeypatch.setattr(fast_ops, "cpu_has_native_bf16", lambda: True)
    net.set_impl("fast")
    assert net.compute_dtype == torch.bfloat16
    net.set_impl("reference")
    assert net.compute_dtype == torch.float32
    with pytest.raises(ModelError, match="impl"):
        net.set_impl("turbo")
    with pytest.raises(ModelError, match="dtype"):
        net.set_impl("fast", dtype=torch.int8)


def test_bad_inputs_are_model_errors():
    net = tiny_synthesis_network()
    with pytest.raises(ModelError, match="ws has shape"):
        net(torch.zeros(1, net.num_ws - 1, net.w_dim))
    with pytest.raises(ModelError, match="unknown layers"):
        net(torch.zeros(1, net.num_ws, net.w_dim), capture=["L3_36_1024"])


def test_config_b_table_rows_follow_the_padding_rule_and_filter_design():
    rows = CONFIGS["B"][0]()
    assert [r.name for r in rows][2:4] == ["L2_36_1024", "L3_36_1024"]
    assert len(rows) == 17
    for r in rows:
        assert padding_rule(r) == r.padding_expected, r.name
        assert r.taps_up == (6 * r.up if r.up > 1 else 1)


@pytest.mark.slow
def test_config_b_reference_synthesis_full_size():
    torch.set_num_threads(2)
    net = SynthesisNetwork(make_generator_records("B", seed=0))
    assert net.num_ws == 18 and net.w_dim == 512 and net.img_resolution == 256
    for name, shape in HOOKED_B.items():
        assert net.layer_output_shape(name) == shape
    assert [net.layer_names[p - 1] for p in (4, 9, 11, 13, 15, 16)] == list(HOOKED_B)
    ws = torch.randn(1, 18, 512, generator=torch.Generator().manual_seed(0))
    img, feats = net(ws, capture=HOOKED_B)
    assert img.shape == (1, 3, 256, 256) and img.dtype == torch.float32
    assert torch.isfinite(img).all() and img.abs().max() <= 64
    assert img.std() > 1e-3
    for name, shape in HOOKED_B.items():
        assert feats[name].shape == (1, *shape)
        assert torch.isfinite(feats[name]).all()


@pytest.mark.slow
def test_config_b_pickle_round_trip(tmp_path: Path):
    """Full-size NVIDIA-format pickle (CUDA-tagged storages) → records match the §6.4 table."""
    info = write_generator_pickle(tmp_path / "b.pkl", config="B", cuda_tagged=True)
    records = load_generator_records(tmp_path / "b.pkl")
    (tmp_path / "b.pkl").unlink()
    assert records.attrs.layer_names == info["layer_names"]
    assert records.attrs.num_ws == 18 and records.attrs.img_resolution == 256
    n_params = sum(t.numel() for k, t in records.tensors.items() if not k.endswith("_filter"))
    buffers = ("input.transform", "input.freqs", "input.phases")
    n_buffers = sum(records.tensors[k].numel() for k in buffers)
    n_ema = sum(1 for k in records.tensors if k.endswith("magnitude_ema"))
    assert n_params - n_buffers - n_ema == 134_421_873  # synthesis parameters, §6.3
    for row, la in zip(info["rows"], records.attrs.layers, strict=True):
        assert la.padding == row.padding_expected
        assert (la.in_channels, la.out_channels) == (row.c_in, row.c_out)
        assert la.out_size == (row.size_out, row.size_out)
        taps = records.tensors.get(f"{row.name}.up_filter")
        assert (1 if taps is None else taps.shape[0]) == row.taps_up
