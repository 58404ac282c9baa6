"""Checkpoint loading: validation messages, option checks, masks, and refusal of unsafe files."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from lsi_rig.core.errors import ModelError, UnsafePickleError
from lsi_rig.models.checkpoint import binarised_masks, load_checkpoint
from tests.models.ckpt_writer import make_checkpoint

SMALL_CHANNELS = (16, 16, 12, 10, 8, 8)


def _save(tmp_path: Path, ckpt: dict, name: str = "ckpt.pt") -> Path:
    path = tmp_path / name
    torch.save(ckpt, path)
    return path


@pytest.fixture(scope="module")
def base_ckpt() -> dict:
    return make_checkpoint(8, channels=SMALL_CHANNELS, seed=5)


def test_loads_official_format_and_ignores_training_entries(tmp_path: Path) -> None:
    raw = make_checkpoint(8, channels=SMALL_CHANNELS, seed=5, training_extras=True)
    raw["latent_avg"] = raw["latent_avg"].to(torch.float64)
    ckpt = load_checkpoint(_save(tmp_path, raw))
    assert ckpt.n_measurements == 8
    assert ckpt.heads == ("segmentation", "landmarks", "cls")
    assert ckpt.latent_avg.shape == (512,) and ckpt.latent_avg.dtype == torch.float32
    torch.testing.assert_close(ckpt.latent_avg, raw["latent_avg"].float())
    assert ckpt.opts["b_projection"] == "gmlp"
    assert len(ckpt.encoder_state) == 536
    seg = ckpt.build_segmentation_head()
    assert seg is not None and seg.conv_l3.in_channels == 16 and seg.conv_l16.out_channels == 19


def test_heads_stored_as_none_are_absent(tmp_path: Path) -> None:
    raw = make_checkpoint(4, channels=SMALL_CHANNELS, heads=("cls",))
    ckpt = load_checkpoint(_save(tmp_path, raw))
    assert ckpt.heads == ("cls",)
    assert ckpt.build_segmentation_head() is None and ckpt.build_landmark_head() is None
    assert ckpt.build_attribute_head() is not None


@pytest.mark.parametrize("key", ["latent_camera", "latent_avg", "mask", "opts"])
def test_missing_top_level_key_is_named(tmp_path: Path, base_ckpt: dict, key: str) -> None:
    raw = {k: v for k, v in base_ckpt.items() if k != key}
    with pytest.raises(ModelError, match=rf"missing keys \['{key}'\]"):
        load_checkpoint(_save(tmp_path, raw))


def test_unexpected_top_level_key_is_named(tmp_path: Path, base_ckpt: dict) -> None:
    with pytest.raises(ModelError, match="unexpected keys \\['state_dict'\\]"):
        load_checkpoint(_save(tmp_path, {**base_ckpt, "state_dict": {}}))


def test_missing_and_misshaped_encoder_tensors_are_named(tmp_path: Path, base_ckpt: dict) -> None:
    enc = dict(base_ckpt["latent_camera"])
    del enc["styles.9.convs.17.to_out.bias"]
    with pytest.raises(ModelError, match=r"styles\.9\.convs\.17\.to_out\.bias"):
        load_checkpoint(_save(tmp_path, {**base_ckpt, "latent_camera": enc}))
    enc = dict(base_ckpt["latent_camera"])
    enc["out.layers.0.fn.sgu.weight"] = torch.zeros(1, 17, 17)
    with pytest.raises(ModelError, match=r"out\.layers\.0\.fn\.sgu\.weight \(1, 17, 17\)"):
        load_checkpoint(_save(tmp_path, {**base_ckpt, "latent_camera": enc}))


def test_unsupported_measurement_length_refused(tmp_path: Path) -> None:
    raw = make_checkpoint(12, channels=SMALL_CHANNELS, heads=())
    with pytest.raises(ModelError, match="n=12 is not one of"):
        load_checkpoint(_save(tmp_path, raw))


@pytest.mark.parametrize(
    ("option", "value"),
    [("b_projection", "linear"), ("styles", 16), ("b_attention_features", 0), ("b_out_depth", 2)],
)
def test_unsupported_option_names_option_and_value(
    tmp_path: Path, option: str, value: object
) -> None:
    raw = make_checkpoint(4, channels=SMALL_CHANNELS, heads=(), opts_overrides={option: value})
    with pytest.raises(ModelError, match=f"option {option}={value!r} is not supported"):
        load_checkpoint(_save(tmp_path, raw))


def test_head_with_inconsistent_channels_refused_at_load(tmp_path: Path, base_ckpt: dict) -> None:
    seg = dict(base_ckpt["segmentation"])
    seg["conv_l9.weight"] = torch.zeros(10, 7, 3, 3)
    with pytest.raises(ModelError, match="conv_l9 takes 7 channels but the previous conv gives 12"):
        load_checkpoint(_save(tmp_path, {**base_ckpt, "segmentation": seg}))
    land = dict(base_ckpt["landmarks"])
    del land["l1.bias"]
    with pytest.raises(ModelError, match=r"'landmarks': missing keys \['l1.bias'\]"):
        load_checkpoint(_save(tmp_path, {**base_ckpt, "landmarks": land}))


def test_unreadable_and_absent_files(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"this is not a checkpoint")
    with pytest.raises(ModelError, match=r"junk\.pt"):
        load_checkpoint(junk)
    torch.save([1, 2, 3], tmp_path / "list.pt")
    with pytest.raises(ModelError, match="top level is list"):
        load_checkpoint(tmp_path / "list.pt")


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("legacy", [False, True])
def test_malicious_checkpoint_refused_without_side_effect(
    tmp_path: Path, base_ckpt: dict, legacy: bool
) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    payload = {**base_ckpt, "opts": _Exploit(marker)}
    if legacy:
        with path.open("wb") as f:
            pickle.dump(payload, f, protocol=2)
    else:
        torch.save(payload, path)
    if legacy:  # not a torch zip file: refused before torch.load looks at it
        with pytest.raises(ModelError, match="legacy or foreign files are not accepted"):
            load_checkpoint(path)
    else:
        with pytest.raises(UnsafePickleError, match="nothing in it was executed"):
            load_checkpoint(path)
    assert not marker.exists()


def test_binarised_masks_clamp_round_row_major(tmp_path: Path, base_ckpt: dict) -> None:
    weight = base_ckpt["mask"]["weight"].clone()
    weight[3, :6] = torch.tensor([-0.3, 0.2, 0.5, 0.51, 1.7, 0.99])
    weight[5, 256 * 7 + 11] = 2.0
    weight[5, 256 * 11 + 7] = -2.0
    raw = {**base_ckpt, "mask": {"weight": weight}}
    masks = binarised_masks(_save(tmp_path, raw))
    assert masks.shape == (8, 256, 256) and masks.dtype == np.bool_
    assert masks[3, 0, :6].tolist() == [False, False, False, True, True, True]
    assert masks[5, 7, 11] and not masks[5, 11, 7]
    expected = (weight.clamp(0, 1).round() > 0.5).reshape(8, 256, 256).numpy()
    assert np.array_equal(masks, expected)


def test_binarised_masks_refuse_multibit(tmp_path: Path) -> None:
    raw = make_checkpoint(4, channels=SMALL_CHANNELS, heads=(), opts_overrides={"bits": 2})
    with pytest.raises(ModelError, match="option bits=2"):
        binarised_masks(_save(tmp_path, raw))
