"""HadamardDecoder: the exact linear reconstruction behind the VectorDecoder contract."""

from __future__ import annotations

import numpy as np
import pytest

from lsi_rig.core.errors import MaskError, ModelError
from lsi_rig.decode.hadamard import HadamardDecoder, to_display_image
from lsi_rig.masks import load_masks
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.models.api import VectorDecoder
from lsi_rig.recon import reconstruct_hadamard


def _measure(masks: MaskSet, scene: np.ndarray) -> np.ndarray:
    """The ideal 0/1-mask measurement of a scene given per mask pixel."""
    return masks.flat() @ scene.ravel()


@pytest.mark.parametrize("spec", ["demo:hadamard16", "demo:hadamard32:512", "demo:hadamard64"])
def test_decodes_the_exact_reconstruction_as_a_256_pixel_grey_image(spec: str) -> None:
    masks = load_masks(spec)
    decoder = HadamardDecoder(masks)
    assert isinstance(decoder, VectorDecoder)
    assert decoder.mask_sha256 == masks.sha256 and decoder.n_measurements == masks.n
    assert decoder.available_tasks == frozenset({"image"})
    h, w = masks.shape
    rng = np.random.default_rng(3)
    scene = rng.random((2, h, w))
    vectors = np.stack([_measure(masks, s) for s in scene])
    result = decoder.decode(vectors)
    assert result.image is not None and result.image.shape == (2, 256, 256, 3)
    assert result.image.dtype == np.uint8 and result.batch_size == 2
    assert (result.image[..., 0] == result.image[..., 2]).all()  # grey in RGB
    expected = to_display_image(reconstruct_hadamard(vectors, masks))
    np.testing.assert_array_equal(result.image, expected)
    assert result.attribute_probabilities is None and result.segmentation is None
    assert "reconstruct" in result.timings_s


def test_a_full_set_reconstructs_the_scene_pixel_blocks() -> None:
    masks = load_masks("demo:hadamard16")
    scene = np.zeros((16, 16))
    scene[4:12, 2:6] = 1.0  # a bright bar
    image = HadamardDecoder(masks).decode(_measure(masks, scene)).image
    assert image is not None
    grey = image[0, :, :, 0]
    block = 256 // 16
    assert (grey[4 * block : 12 * block, 2 * block : 6 * block] == 255).all()
    assert (grey[: 4 * block] == 0).all() and (grey[:, 8 * block :] == 0).all()


def test_one_vector_is_a_batch_of_one() -> None:
    masks = load_masks("demo:hadamard16:64")
    result = HadamardDecoder(masks).decode(np.ones(64, np.float32))
    assert result.image is not None and result.image.shape == (1, 256, 256, 3)


def test_refuses_what_it_cannot_decode() -> None:
    random = MaskSet(np.random.default_rng(0).random((32, 16, 16)) < 0.5, "random", "test")
    with pytest.raises(MaskError, match="not a Walsh–Hadamard demo set"):
        HadamardDecoder(random)
    decoder = HadamardDecoder(load_masks("demo:hadamard16:64"))
    with pytest.raises(ModelError, match=r"shape \(63,\).*n=64"):
        decoder.decode(np.zeros(63))
    with pytest.raises(ModelError, match="NaN"):
        decoder.decode(np.full(64, np.nan))
    with pytest.raises(ModelError, match=r"only an image.*'attributes'"):
        decoder.decode(np.zeros(64), tasks=["attributes"])
    with pytest.raises(ModelError, match="unknown decode tasks"):
        decoder.resolve_tasks(["smell"])
    assert decoder.resolve_tasks(None) == frozenset({"image"})
