"""Binary DMD mask sets: loading, validation, hashing and built-in demo sets."""

from lsi_rig.masks.loaders import demo_mask_names, load_masks
from lsi_rig.masks.maskset import MaskSet

__all__ = ["MaskSet", "demo_mask_names", "load_masks"]
