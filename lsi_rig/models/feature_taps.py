"""Which synthesis layers the heads read, and whether a generator fits a checkpoint's heads.

The official code hooks ``synthesis.named_children()`` by position 4, 9, 11, 13, 15, 16 (child 0
is the input stage, so child p is ``layer_names[p - 1]``). Position-based hooks silently read the
wrong layer if the generator's layer list differs, so we resolve the names once, check them and
their shapes against what the heads were trained on, and fail with a clear message otherwise.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lsi_rig.core.errors import ModelError
from lsi_rig.models.encoder import EncoderConfig
from lsi_rig.models.heads import AttributeHead, LandmarkHead, SegmentationHead

if TYPE_CHECKING:
    from lsi_rig.models.generator import SynthesisNetwork

log = logging.getLogger(__name__)

SEGMENTATION_CHILDREN = (4, 9, 11, 13, 15, 16)
LANDMARK_CHILD = 4
# The FFHQ-256 generator the published heads were trained on (configs A and B agree here).
FULL_SIZE_TAPS: dict[int, tuple[str, tuple[int, int, int]]] = {
    4: ("L3_36_1024", (1024, 36, 36)),
    9: ("L9_52_1024", (1024, 52, 52)),
    11: ("L11_84_1024", (1024, 84, 84)),
    13: ("L13_148_919", (919, 148, 148)),
    15: ("L15_276_256", (256, 276, 276)),
    16: ("L16_256_256", (256, 256, 256)),
}
FULL_SIZE_RESOLUTION = 256
_NAME = re.compile(r"^L\d+_(\d+)_(\d+)$")


@dataclass(frozen=True)
class HookedLayers:
    """Resolved layer names: ``segmentation`` in head order (L3, L9, L11, L13, L15, L16)."""

    segmentation: tuple[str, ...]
    landmarks: str
    shapes: dict[str, tuple[int, int, int]]


def _fail(message: str) -> ModelError:
    return ModelError(f"generator does not fit the checkpoint: {message}")


def check_generator(
    generator: SynthesisNetwork,
    *,
    encoder_config: EncoderConfig,
    segmentation: SegmentationHead | None,
    landmarks: LandmarkHead | None,
    attributes: AttributeHead | None,
) -> HookedLayers:
    """Resolve the tapped layers and check channels and ws layout; raise ModelError on misfit."""
    num_ws, w_dim = int(generator.num_ws), int(generator.w_dim)
    if (num_ws, w_dim) != (encoder_config.n_styles, encoder_config.width):
        raise _fail(
            f"it takes ws [{num_ws}, {w_dim}] but the encoder gives "
            f"[{encoder_config.n_styles}, {encoder_config.width}]"
        )
    layer_names = list(generator.layer_names)
    if len(layer_names) < max(SEGMENTATION_CHILDREN):
        raise _fail(f"it has {len(layer_names)} layers, the heads tap child 16")
    names = tuple(layer_names[p - 1] for p in SEGMENTATION_CHILDREN)
    shapes: dict[str, tuple[int, int, int]] = {}
    for n in names:
        c, h, w = generator.layer_output_shape(n)
        shapes[n] = (int(c), int(h), int(w))
    for name, (c, h, w) in shapes.items():
        match = _NAME.match(name)
        if match and (int(match[1]), int(match[2])) != (h, c):
            raise _fail(f"layer {name} outputs [{c}, {h}, {w}], its name says otherwise")
    if int(generator.img_resolution) == FULL_SIZE_RESOLUTION:
        for p, name in zip(SEGMENTATION_CHILDREN, names, strict=True):
            want_name, want_shape = FULL_SIZE_TAPS[p]
            if (name, shapes[name]) != (want_name, want_shape):
                raise _fail(
                    f"child {p} is {name} {list(shapes[name])}, the heads were trained on "
                    f"{want_name} {list(want_shape)}; is this the FFHQ-256 StyleGAN-XL?"
                )
    channels = tuple(shapes[n][0] for n in names)
    if segmentation is not None and segmentation.required_channels() != channels:
        raise _fail(
            f"segmentation head needs feature channels {list(segmentation.required_channels())} "
            f"at {list(names)}, the generator gives {list(channels)}"
        )
    l3 = shapes[names[0]]
    if landmarks is not None:
        if landmarks.conv_l1.in_channels != l3[0] or min(l3[1:]) < 3:
            raise _fail(
                f"landmark head needs [{landmarks.conv_l1.in_channels}, >=3, >=3] at {names[0]}, "
                f"the generator gives {list(l3)}"
            )
        if landmarks.l1_latent.in_features != num_ws * w_dim:
            raise _fail(f"landmark head reads {landmarks.l1_latent.in_features} ws values")
    if attributes is not None and attributes.linear.in_features != num_ws * w_dim:
        raise _fail(f"attribute head reads {attributes.linear.in_features} l_cam values")
    log.debug("heads tap %s with shapes %s", names, shapes)
    return HookedLayers(segmentation=names, landmarks=names[0], shapes=shapes)
