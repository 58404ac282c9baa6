"""Downstream heads: face parsing, 68 landmarks and 40 attributes from the decoder's internals.

The heads read what the generator already computed (synthesis feature maps, ws, l_cam), so
they add semantics to a reconstruction almost for free, except segmentation, whose 3x3
convolutions on 919- and 1024-channel maps cost about as much as a tenth of the synthesis.

Channel counts come from the checkpoint's tensor shapes and spatial sizes from the feature maps
themselves (the official code hard-codes 52/84/148/276/256 for the FFHQ-256 generator), so the
same code runs the full network and the tiny test generator. All resizes are bilinear with
align_corners=False and no antialiasing, as in training (lsi-model.md §3.5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch.nn.functional as F
from torch import Tensor, nn

from lsi_rig.core.errors import ModelError
from lsi_rig.core.labels import ATTRIBUTE_NAMES, N_LANDMARKS, SEGMENTATION_CLASSES

SEGMENTATION_CONVS = ("conv_l3", "conv_l9", "conv_l11", "conv_l13", "conv_l16")
LANDMARK_GRID = 8  # the L3 landmark map is resized to 8x8 = 64 values per point


def _resize(x: Tensor, size: Sequence[int]) -> Tensor:
    return F.interpolate(
        x, size=(int(size[0]), int(size[1])), mode="bilinear", align_corners=False, antialias=False
    )


def _check_keys(state: Mapping[str, Tensor], expected: set[str], head: str) -> None:
    missing = sorted(expected - set(state))
    unexpected = sorted(set(state) - expected)
    if missing or unexpected:
        raise ModelError(
            f"checkpoint entry '{head}': missing keys {missing}, unexpected keys {unexpected}; "
            "is this an LSI checkpoint written by the official Coach?"
        )


def _conv_shape(state: Mapping[str, Tensor], name: str, head: str) -> tuple[int, int]:
    weight, bias = state[f"{name}.weight"], state[f"{name}.bias"]
    if weight.ndim != 4 or tuple(weight.shape[2:]) != (3, 3) or bias.shape != weight.shape[:1]:
        raise ModelError(
            f"checkpoint entry '{head}': {name}.weight has shape {tuple(weight.shape)} and "
            f"bias {tuple(bias.shape)}; expected [C_out, C_in, 3, 3] and [C_out]"
        )
    return int(weight.shape[0]), int(weight.shape[1])


class SegmentationHead(nn.Module):
    """Official ConvUpsampleModel: a U-Net-like ladder up the synthesis feature pyramid.

    Features are the outputs of hooked children 4, 9, 11, 13, 15, 16 (L3 ... L16); each step
    resizes the running map to the next feature's size, adds it, and applies a 3x3 conv.
    """

    def __init__(self, channels: tuple[int, int, int, int, int, int]) -> None:
        super().__init__()
        c3, c11, c13, c15, c16, n_classes = channels
        self.conv_l3 = nn.Conv2d(c3, c11, 3, padding=1)
        self.conv_l9 = nn.Conv2d(c11, c13, 3, padding=1)
        self.conv_l11 = nn.Conv2d(c13, c15, 3, padding=1)
        self.conv_l13 = nn.Conv2d(c15, c16, 3, padding=1)
        self.conv_l16 = nn.Conv2d(c16, n_classes, 3, padding=1)

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Tensor]) -> SegmentationHead:
        _check_keys(state, {f"{c}.{p}" for c in SEGMENTATION_CONVS for p in ("weight", "bias")},
                    "segmentation")  # fmt: skip
        shapes = [_conv_shape(state, c, "segmentation") for c in SEGMENTATION_CONVS]
        for (_, c_in), (c_out_prev, _), name in zip(
            shapes[1:], shapes[:-1], SEGMENTATION_CONVS[1:], strict=True
        ):
            if c_in != c_out_prev:
                raise ModelError(
                    f"checkpoint entry 'segmentation': {name} takes {c_in} channels but the "
                    f"previous conv gives {c_out_prev}"
                )
        if shapes[-1][0] != len(SEGMENTATION_CLASSES):
            raise ModelError(
                f"checkpoint entry 'segmentation': conv_l16 predicts {shapes[-1][0]} classes, "
                f"expected {len(SEGMENTATION_CLASSES)}"
            )
        head = cls((shapes[0][1], *(s[0] for s in shapes)))  # type: ignore[arg-type]
        head.load_state_dict(dict(state), strict=True)
        return head

    def required_channels(self) -> tuple[int, ...]:
        """Channels each hooked feature (L3, L9, L11, L13, L15, L16) must have."""
        c3 = self.conv_l3.in_channels
        return (c3, c3, *(conv.in_channels for conv in (self.conv_l9, self.conv_l11,
                                                        self.conv_l13, self.conv_l16)))  # fmt: skip

    def forward(self, features: list[Tensor]) -> Tensor:
        """features = [L3, L9, L11, L13, L15, L16] -> logits [B, 19, H16, W16]."""
        l3, l9, l11, l13, l15, l16 = (f.float() for f in features)
        a = self.conv_l3(_resize(l3, l9.shape[-2:]) + l9)
        a = self.conv_l9(_resize(a, l11.shape[-2:]) + l11)
        a = self.conv_l11(_resize(a, l13.shape[-2:]) + l13)
        a = self.conv_l13(_resize(a, l15.shape[-2:]) + l15)
        return self.conv_l16(_resize(a, l16.shape[-2:]) + l16)


class LandmarkHead(nn.Module):
    """Official Landmarks: L3 features biased by a projection of the full ws, a valid 3x3 conv
    to 68 maps, shrunk to 8x8 and read out by Linear(64 -> 2) into [0, 1] image coordinates."""

    def __init__(self, feature_channels: int, ws_values: int) -> None:
        super().__init__()
        self.conv_l1 = nn.Conv2d(feature_channels, N_LANDMARKS, 3, padding=0)
        self.l1_latent = nn.Linear(ws_values, feature_channels)
        self.l1 = nn.Linear(LANDMARK_GRID * LANDMARK_GRID, 2)

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Tensor]) -> LandmarkHead:
        names = ("conv_l1", "l1_latent", "l1")
        _check_keys(state, {f"{n}.{p}" for n in names for p in ("weight", "bias")}, "landmarks")
        n_points, c3 = _conv_shape(state, "conv_l1", "landmarks")
        latent_w = state["l1_latent.weight"]
        if n_points != N_LANDMARKS or latent_w.ndim != 2 or int(latent_w.shape[0]) != c3:
            raise ModelError(
                f"checkpoint entry 'landmarks': conv_l1 {tuple(state['conv_l1.weight'].shape)} "
                f"and l1_latent {tuple(latent_w.shape)} do not fit [68, C, 3, 3] and [C, 18*512]"
            )
        if tuple(state["l1.weight"].shape) != (2, LANDMARK_GRID * LANDMARK_GRID):
            raise ModelError(
                f"checkpoint entry 'landmarks': l1.weight has shape "
                f"{tuple(state['l1.weight'].shape)}, expected (2, 64)"
            )
        head = cls(c3, int(latent_w.shape[1]))
        head.load_state_dict(dict(state), strict=True)
        return head

    def forward(self, l3: Tensor, ws: Tensor) -> Tensor:
        """L3 [B, C, H, W], ws [B, num_ws, w_dim] -> landmarks [B, 68, 2] in [0, 1] units."""
        batch = l3.shape[0]
        bias = self.l1_latent(ws.reshape(batch, -1).float())
        maps = self.conv_l1(l3.float() + bias[:, :, None, None])
        maps = _resize(maps, (LANDMARK_GRID, LANDMARK_GRID))
        return self.l1(maps.reshape(batch, N_LANDMARKS, LANDMARK_GRID * LANDMARK_GRID))


class AttributeHead(nn.Module):
    """Official l_cls: one Linear on l_cam flattened style-major (latent_avg NOT added)."""

    def __init__(self, latent_values: int) -> None:
        super().__init__()
        self.linear = nn.Linear(latent_values, len(ATTRIBUTE_NAMES))

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Tensor]) -> AttributeHead:
        _check_keys(state, {"weight", "bias"}, "cls")
        weight = state["weight"]
        if weight.ndim != 2 or int(weight.shape[0]) != len(ATTRIBUTE_NAMES):
            raise ModelError(
                f"checkpoint entry 'cls': weight has shape {tuple(weight.shape)}, "
                f"expected [40, 18*512]"
            )
        head = cls(int(weight.shape[1]))
        head.linear.load_state_dict(dict(state), strict=True)
        return head

    def forward(self, l_cam: Tensor) -> Tensor:
        """l_cam [B, num_ws, w_dim] -> attribute logits [B, 40]."""
        return self.linear(l_cam.reshape(l_cam.shape[0], -1).float())


def landmarks_to_pixels(landmarks_unit: Tensor) -> Tensor:
    """Training targets were pixel coordinates / 255 on the 256x256 image: undo that."""
    return landmarks_unit * 255.0
