"""Decoder API: plumbing, head maths, task skipping, determinism and fit checks.

Uses a stand-in synthesis module with the SynthesisNetwork interface so the decoder is tested
on its own; tests against the real StyleGAN-XL rebuild live at the end of the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lsi_rig.core.errors import ModelError
from lsi_rig.core.labels import ATTRIBUTE_NAMES
from lsi_rig.models.checkpoint import LsiCheckpoint, load_checkpoint
from lsi_rig.models.decoder import Decoder, image_to_uint8
from lsi_rig.models.encoder import EncoderConfig
from lsi_rig.models.feature_taps import check_generator
from lsi_rig.models.heads import AttributeHead, LandmarkHead, SegmentationHead
from tests.models.ckpt_writer import (
    SMALL_CHANNELS,
    SMALL_TAPS,
    STAND_IN_CHANNELS,
    STAND_IN_LAYERS,
    StandInSynthesis,
    small_synthesis_network,
    write_checkpoint,
)

N = 16


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> LsiCheckpoint:
    path = tmp_path_factory.mktemp("ckpt") / "real_16.pt"
    return load_checkpoint(write_checkpoint(path, N, channels=STAND_IN_CHANNELS, seed=2))


@pytest.fixture
def decoder(ckpt: LsiCheckpoint) -> Decoder:
    return Decoder(ckpt, StandInSynthesis(seed=1))


def _vectors(batch: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 3.0, (batch, N)).astype(np.float32)


def _naive_segmentation(sd: dict, feats: list[torch.Tensor]) -> torch.Tensor:
    def up(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return torch.nn.Upsample(size=tuple(like.shape[-2:]), mode="bilinear")(x)

    def conv(x: torch.Tensor, name: str) -> torch.Tensor:
        return F.conv2d(x, sd[f"{name}.weight"], sd[f"{name}.bias"], padding=1)

    l3, l9, l11, l13, l15, l16 = feats
    a = conv(up(l3, l9) + l9, "conv_l3")
    a = conv(up(a, l11) + l11, "conv_l9")
    a = conv(up(a, l13) + l13, "conv_l11")
    a = conv(up(a, l15) + l15, "conv_l13")
    return conv(up(a, l16) + l16, "conv_l16")


def test_decode_all_tasks_matches_hand_written_pipeline(
    decoder: Decoder, ckpt: LsiCheckpoint
) -> None:
    x = _vectors(2)
    result = decoder.decode(x)
    assert result.batch_size == 2
    assert result.image is not None and result.image.shape == (2, 32, 32, 3)
    assert result.image.dtype == np.uint8
    # ws = latent_avg + l_cam exactly; attributes from l_cam WITHOUT latent_avg.
    np.testing.assert_array_equal(result.ws, result.l_cam + ckpt.latent_avg.numpy()[None, None])
    l_cam = torch.from_numpy(result.l_cam)
    ws = torch.from_numpy(result.ws)
    logits = l_cam.reshape(2, -1) @ ckpt.cls_state["weight"].T + ckpt.cls_state["bias"]
    np.testing.assert_allclose(result.attribute_probabilities, torch.sigmoid(logits), atol=1e-6)
    assert result.attribute_names == ATTRIBUTE_NAMES

    gen = StandInSynthesis(seed=1)
    names = [STAND_IN_LAYERS[p - 1][0] for p in (4, 9, 11, 13, 15, 16)]
    image, feats = gen(ws, capture=names)
    np.testing.assert_array_equal(result.image, image_to_uint8(image).numpy())
    seg = _naive_segmentation(ckpt.segmentation_state, [feats[n] for n in names])
    np.testing.assert_allclose(result.segmentation_logits, seg.detach(), rtol=1e-4, atol=1e-4)
    assert result.segmentation.shape == (2, 32, 32) and result.segmentation.dtype == np.uint8
    np.testing.assert_array_equal(result.segmentation, seg.argmax(1).numpy())

    land = ckpt.landmarks_state
    bias = ws.reshape(2, -1) @ land["l1_latent.weight"].T + land["l1_latent.bias"]
    maps = F.conv2d(feats[names[0]] + bias[:, :, None, None], land["conv_l1.weight"],
                    land["conv_l1.bias"])  # fmt: skip
    assert maps.shape[-1] == 8  # 10x10 L3, valid 3x3 conv
    maps = F.interpolate(maps, size=(8, 8), mode="bilinear", align_corners=False)
    unit = maps.reshape(2, 68, 64) @ land["l1.weight"].T + land["l1.bias"]
    np.testing.assert_allclose(result.landmarks_px, 255.0 * unit.detach(), rtol=1e-4, atol=1e-3)
    assert set(result.timings_s) == {
        "encoder", "attributes", "synthesis", "landmarks", "segmentation", "total",
    }  # fmt: skip
    assert all(t >= 0 for t in result.timings_s.values())


def test_image_conversion_truncates_like_the_notebooks() -> None:
    x = (
        torch.tensor([-3.0, -1.0, 0.0, 0.999, 1.0, 5.0, 0.00392])
        .reshape(1, 1, 1, 7)
        .expand(1, 3, 1, 7)
    )
    px = image_to_uint8(x)
    assert px.shape == (1, 1, 7, 3)
    assert px[0, 0, :, 0].tolist() == [0, 0, 127, 254, 255, 255, 127]


def test_work_is_skipped_for_tasks_not_requested(decoder: Decoder) -> None:
    gen = decoder.generator
    result = decoder.decode(_vectors(1), tasks={"attributes"})
    assert gen.calls == [] and result.image is None and result.segmentation is None
    assert result.attribute_probabilities is not None
    decoder.decode(_vectors(1), tasks={"image"})
    decoder.decode(_vectors(1), tasks={"landmarks"})
    assert gen.calls == [(), ("L3_10_16",)]
    result = decoder.decode(_vectors(1), tasks={"image", "landmarks"})
    assert result.segmentation is None and result.attribute_probabilities is None
    assert "segmentation" not in result.timings_s


def test_decode_is_deterministic_and_single_vector_is_batched(decoder: Decoder) -> None:
    x = _vectors(1, seed=4)
    a, b = decoder.decode(x[0]), decoder.decode(torch.from_numpy(x))
    for field in ("image", "segmentation", "landmarks_px", "attribute_probabilities", "ws"):
        assert getattr(a, field).tobytes() == getattr(b, field).tobytes(), field


def test_bad_vectors_and_tasks_are_refused(decoder: Decoder, ckpt: LsiCheckpoint) -> None:
    with pytest.raises(ModelError, match=r"shape \(2, 32\).*n=16"):
        decoder.decode(np.zeros((2, 32), np.float32))
    with pytest.raises(ModelError, match="NaN"):
        decoder.decode(np.full(N, np.nan))
    with pytest.raises(ModelError, match="unknown decode tasks \\['depth'\\]"):
        decoder.decode(_vectors(1), tasks={"depth"})
    only_cls = LsiCheckpoint(**{**ckpt.__dict__, "segmentation_state": None})
    with pytest.raises(ModelError, match="no head for \\['segmentation'\\]"):
        Decoder(only_cls, StandInSynthesis()).decode(_vectors(1), tasks={"segmentation"})
    assert Decoder(only_cls, StandInSynthesis()).available_tasks == {
        "image", "attributes", "landmarks",
    }  # fmt: skip


def test_generator_that_does_not_fit_the_heads_is_refused(
    tmp_path: Path, ckpt: LsiCheckpoint
) -> None:
    other = load_checkpoint(
        write_checkpoint(
            tmp_path / "c.pt", N, channels=(16, 16, 12, 10, 8, 8), heads=("segmentation",)
        )
    )
    with pytest.raises(ModelError, match="segmentation head needs feature channels"):
        Decoder(other, StandInSynthesis())
    wide = [(n, c, s) for n, c, s in STAND_IN_LAYERS] + [("L18_32_3", 3, 32)]
    with pytest.raises(ModelError, match=r"ws \[19, 512\]"):
        Decoder(ckpt, StandInSynthesis(layers=tuple(wide)))
    with pytest.raises(ModelError, match="is this the FFHQ-256 StyleGAN-XL"):
        Decoder(ckpt, StandInSynthesis(img_resolution=256))
    lying = list(STAND_IN_LAYERS)
    lying[3] = ("L3_12_16", 16, 10)
    with pytest.raises(ModelError, match="L3_12_16 outputs \\[16, 10, 10\\]"):
        Decoder(ckpt, StandInSynthesis(layers=tuple(lying)))


def test_impl_and_precision_reach_the_generator(ckpt: LsiCheckpoint) -> None:
    gen = StandInSynthesis()
    Decoder(ckpt, gen, impl="fast", precision="bf16")
    assert (gen.impl, gen.dtype) == ("fast", torch.bfloat16)
    Decoder(ckpt, gen, impl="fast", precision="auto")
    assert (gen.impl, gen.dtype) == ("fast", None)
    Decoder(ckpt, gen, impl="reference", precision="auto")
    assert (gen.impl, gen.dtype) == ("reference", torch.float32)
    with pytest.raises(ModelError, match="precision 'fp16' needs impl 'fast'"):
        Decoder(ckpt, gen, impl="reference", precision="fp16")
    with pytest.raises(ModelError, match="impl 'cuda'"):
        Decoder(ckpt, gen, impl="cuda")
    with pytest.raises(ModelError, match="precision 'fp8'"):
        Decoder(ckpt, gen, precision="fp8")


# ---- with M1's real StyleGAN-XL synthesis (random weights) ---------------------------------


@pytest.fixture(scope="module")
def small_ckpt(tmp_path_factory: pytest.TempPathFactory) -> LsiCheckpoint:
    path = tmp_path_factory.mktemp("ckpt") / "small_16.pt"
    return load_checkpoint(write_checkpoint(path, N, channels=SMALL_CHANNELS, seed=7))


def test_real_synthesis_taps_and_fast_path_agree(small_ckpt: LsiCheckpoint) -> None:
    x = _vectors(1, seed=11)
    ref = Decoder(small_ckpt, small_synthesis_network(seed=2), impl="reference")
    assert ref.hooked.segmentation == SMALL_TAPS and ref.hooked.landmarks == "L3_12_8"
    a = ref.decode(x)
    assert a.image.shape == (1, 24, 24, 3) and a.segmentation.shape == (1, 24, 24)
    assert a.landmarks_px.shape == (1, 68, 2) and a.attribute_probabilities.shape == (1, 40)
    again = ref.decode(x)
    assert again.image.tobytes() == a.image.tobytes()
    assert again.segmentation_logits.tobytes() == a.segmentation_logits.tobytes()
    fast = Decoder(small_ckpt, small_synthesis_network(seed=2), impl="fast", precision="fp32")
    b = fast.decode(x)
    assert np.abs(a.image.astype(int) - b.image.astype(int)).max() <= 1
    np.testing.assert_allclose(b.segmentation_logits, a.segmentation_logits, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(b.landmarks_px, a.landmarks_px, atol=1e-2)
    np.testing.assert_array_equal(b.attribute_probabilities, a.attribute_probabilities)


class _TableOnly:
    """Just the SynthesisNetwork attributes check_generator reads, from M1's config-B table."""

    def __init__(self) -> None:
        from tests.models.pkl_writer import _b_rows

        rows = _b_rows()
        self.layer_names = [r.name for r in rows]
        self.num_ws, self.w_dim, self.img_resolution = 18, 512, 256
        self._shapes = {r.name: (r.c_out, r.size_out, r.size_out) for r in rows}

    def layer_output_shape(self, name: str) -> tuple[int, int, int]:
        return self._shapes[name]


def _full_heads() -> tuple[SegmentationHead, LandmarkHead, AttributeHead]:
    with torch.device("meta"):
        return (
            SegmentationHead((1024, 1024, 919, 256, 256, 19)),
            LandmarkHead(1024, 18 * 512),
            AttributeHead(18 * 512),
        )


def _check_full(generator: object) -> None:
    seg, land, cls = _full_heads()
    hooked = check_generator(
        generator, encoder_config=EncoderConfig(128), segmentation=seg, landmarks=land,
        attributes=cls,
    )  # fmt: skip
    assert hooked.segmentation == (
        "L3_36_1024", "L9_52_1024", "L11_84_1024", "L13_148_919", "L15_276_256", "L16_256_256",
    )  # fmt: skip
    # The official head hard-codes resizes to 52, 84, 148, 276, 256: ours come from these.
    assert [hooked.shapes[n][1] for n in hooked.segmentation[1:]] == [52, 84, 148, 276, 256]
    assert [hooked.shapes[n][0] for n in hooked.segmentation] == [1024, 1024, 1024, 919, 256, 256]
    assert hooked.shapes["L3_36_1024"] == (1024, 36, 36)


def test_full_size_config_b_taps_give_the_official_resize_sizes() -> None:
    _check_full(_TableOnly())
    swapped = _TableOnly()
    swapped.layer_names[8], swapped.layer_names[9] = swapped.layer_names[9], swapped.layer_names[8]
    with pytest.raises(ModelError, match="child 9 is L10_84_1024"):
        _check_full(swapped)


@pytest.mark.slow
def test_full_size_config_b_network_fits_full_size_heads() -> None:
    from lsi_rig.models.generator import SynthesisNetwork
    from tests.models.pkl_writer import make_generator_records

    _check_full(SynthesisNetwork(make_generator_records("B", seed=0)))
