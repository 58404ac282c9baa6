"""StyleGAN-XL FFHQ-256 synthesis network: safe loading, exact reference and fast CPU path.

Public API (used by the decoder):

* :func:`load_generator` — NVIDIA pickle (``G_ema`` through the restricted unpickler) or a
  converted cache directory → :class:`SynthesisNetwork`;
* :func:`convert_generator` — pickle → pickle-free cache (safetensors + JSON);
* :func:`load_generator_records` — the raw attributes/tensors, for inspection.
"""

from __future__ import annotations

from lsi_rig.models.generator.cache import convert_generator, load_generator
from lsi_rig.models.generator.records import GeneratorRecords, load_generator_records
from lsi_rig.models.generator.synthesis import SynthesisNetwork

__all__ = [
    "GeneratorRecords",
    "SynthesisNetwork",
    "convert_generator",
    "load_generator",
    "load_generator_records",
]
