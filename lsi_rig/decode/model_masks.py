"""Mask specs that name a model's own masks: ``demo:lsi`` / ``demo:lsi:N`` (the demo LSI model,
N ∈ its measurement counts), beside every spec ``lsi_rig.masks.load_masks`` reads.

The demo model's masks live in its weights (learned with it), so the spec is resolved here,
above the models layer; capture, batch, the app and the demo all load masks through this.
"""

from __future__ import annotations

from lsi_rig.core.errors import MaskError
from lsi_rig.masks import load_masks as load_mask_files
from lsi_rig.masks.maskset import MaskSet

DEMO_LSI = "demo:lsi"


def is_demo_lsi(spec: str) -> bool:
    return spec == DEMO_LSI or spec.startswith(DEMO_LSI + ":")


def load_masks(spec: str, *, complementary: bool = False) -> MaskSet:
    """A mask set by spec; ``demo:lsi[:N]`` gives the demo LSI model's 256×256 masks."""
    if not is_demo_lsi(spec):
        return load_mask_files(spec, complementary=complementary)
    if complementary:
        raise MaskError(
            f"masks {spec}: the demo model was trained without complements; drop --complementary"
        )
    from lsi_rig.core.errors import ModelError
    from lsi_rig.decode.loading import load_demo

    count = spec.removeprefix(DEMO_LSI).removeprefix(":")
    try:
        return load_demo("demo" + (f":{count}" if count else "")).masks()
    except ModelError as exc:
        raise MaskError(f"masks {spec}: {exc}") from None
