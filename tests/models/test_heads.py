"""Downstream heads: label tables, shapes from state dicts, and the exact resize/conv maths."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from lsi_rig.core.errors import ModelError
from lsi_rig.core.labels import (
    ATTRIBUTE_NAMES,
    N_LANDMARKS,
    SEGMENTATION_CLASSES,
    SEGMENTATION_PALETTE,
)
from lsi_rig.models.heads import (
    AttributeHead,
    LandmarkHead,
    SegmentationHead,
    landmarks_to_pixels,
)
from tests.models.ckpt_writer import _random_state, head_key_shapes

CHANNELS = (6, 6, 5, 4, 3, 3)


def _states(num_ws: int = 18, w_dim: int = 512) -> dict[str, dict[str, Tensor]]:
    gen = torch.Generator().manual_seed(0)
    shapes = head_key_shapes(CHANNELS, num_ws, w_dim)
    return {k: dict(_random_state(v, gen)) for k, v in shapes.items()}


def test_label_tables() -> None:
    assert len(ATTRIBUTE_NAMES) == 40 and len(set(ATTRIBUTE_NAMES)) == 40
    assert ATTRIBUTE_NAMES[0] == "5_o_Clock_Shadow" and ATTRIBUTE_NAMES[20] == "Male"
    assert ATTRIBUTE_NAMES[31] == "Smiling" and ATTRIBUTE_NAMES[39] == "Young"
    assert len(SEGMENTATION_CLASSES) == 19 and SEGMENTATION_CLASSES[0] == "background"
    assert SEGMENTATION_CLASSES[14] == "hair" and SEGMENTATION_CLASSES[18] == "neck_l"
    assert len(SEGMENTATION_PALETTE) == 19 and len(set(SEGMENTATION_PALETTE)) == 19
    assert SEGMENTATION_PALETTE[0] == (0, 0, 0)
    assert N_LANDMARKS == 68


def _bilinear_reference(x: Tensor, out_h: int, out_w: int) -> Tensor:
    """Bilinear, align_corners=False, no antialias, by explicit index arithmetic."""

    def weights(n_in: int, n_out: int) -> Tensor:
        m = torch.zeros(n_out, n_in, dtype=torch.float64)
        scale = n_in / n_out
        for i in range(n_out):
            src = max((i + 0.5) * scale - 0.5, 0.0)
            i0 = min(math.floor(src), n_in - 1)
            i1 = min(i0 + 1, n_in - 1)
            lam = src - i0
            m[i, i0] += 1 - lam
            m[i, i1] += lam
        return m

    wh, ww = weights(x.shape[-2], out_h), weights(x.shape[-1], out_w)
    return torch.einsum("oh,bchw,pw->bcop", wh, x.double(), ww).float()


def test_segmentation_head_sizes_come_from_features() -> None:
    head = SegmentationHead.from_state_dict(_states()["segmentation"]).eval()
    assert head.required_channels() == CHANNELS
    gen = torch.Generator().manual_seed(1)
    sizes = (5, 7, 9, 13, 15, 11)  # last step shrinks 15 -> 11 like the official 276 -> 256
    feats = [torch.randn(2, c, s, s, generator=gen) for c, s in zip(CHANNELS, sizes, strict=True)]
    with torch.inference_mode():
        out = head(feats)
    assert out.shape == (2, 19, 11, 11)
    sd = head.state_dict()
    a = feats[0]
    for name, feat in zip(("conv_l3", "conv_l9", "conv_l11", "conv_l13", "conv_l16"), feats[1:],
                          strict=True):  # fmt: skip
        a = _bilinear_reference(a, *feat.shape[-2:]) + feat
        a = F.conv2d(a, sd[f"{name}.weight"], sd[f"{name}.bias"], padding=1)
    torch.testing.assert_close(out, a, rtol=1e-4, atol=1e-4)


def test_landmark_head_valid_conv_8x8_grid_and_pixels() -> None:
    state = _states(num_ws=3, w_dim=4)["landmarks"]
    head = LandmarkHead.from_state_dict(state).eval()
    gen = torch.Generator().manual_seed(2)
    l3 = torch.randn(2, CHANNELS[0], 36, 36, generator=gen)
    ws = torch.randn(2, 3, 4, generator=gen)
    with torch.inference_mode():
        unit = head(l3, ws)
    bias = ws.reshape(2, 12) @ state["l1_latent.weight"].T + state["l1_latent.bias"]
    maps = F.conv2d(l3 + bias[:, :, None, None], state["conv_l1.weight"], state["conv_l1.bias"])
    assert maps.shape == (2, 68, 34, 34)  # padding 0
    grid = _bilinear_reference(maps, 8, 8).reshape(2, 68, 64)
    expected = grid @ state["l1.weight"].T + state["l1.bias"]
    torch.testing.assert_close(unit, expected, rtol=1e-4, atol=1e-4)
    assert unit.shape == (2, 68, 2)
    assert torch.equal(
        landmarks_to_pixels(torch.tensor([[0.5, 1.0]])), torch.tensor([[127.5, 255.0]])
    )


def test_attribute_head_reads_l_cam_style_major() -> None:
    state = {"weight": torch.zeros(40, 18 * 512), "bias": torch.zeros(40)}
    state["weight"][7, 5 * 512 + 3] = 2.0  # attribute 7 looks at style 5, channel 3
    head = AttributeHead.from_state_dict(state)
    l_cam = torch.zeros(1, 18, 512)
    l_cam[0, 5, 3] = 1.5
    l_cam[0, 3, 5] = 100.0
    with torch.inference_mode():
        logits = head(l_cam)
    assert logits[0, 7].item() == 3.0
    assert torch.count_nonzero(logits).item() == 1


def test_malformed_head_states_are_refused() -> None:
    states = _states()
    seg = dict(states["segmentation"])
    seg["conv_l16.weight"] = torch.zeros(18, 3, 3, 3)
    seg["conv_l16.bias"] = torch.zeros(18)
    with pytest.raises(ModelError, match="predicts 18 classes, expected 19"):
        SegmentationHead.from_state_dict(seg)
    seg = dict(states["segmentation"])
    seg["conv_l3.weight"] = torch.zeros(5, 6, 1, 1)
    with pytest.raises(ModelError, match=r"conv_l3\.weight has shape \(5, 6, 1, 1\)"):
        SegmentationHead.from_state_dict(seg)
    land = dict(states["landmarks"])
    land["l1.weight"] = torch.zeros(2, 49)
    with pytest.raises(ModelError, match=r"expected \(2, 64\)"):
        LandmarkHead.from_state_dict(land)
    with pytest.raises(ModelError, match="expected \\[40, 18\\*512\\]"):
        AttributeHead.from_state_dict({"weight": torch.zeros(41, 9216), "bias": torch.zeros(41)})
    with pytest.raises(ModelError, match=r"unexpected keys \['extra'\]"):
        AttributeHead.from_state_dict({**states["cls"], "extra": torch.zeros(1)})
