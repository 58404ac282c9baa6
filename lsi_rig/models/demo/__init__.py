"""The demo LSI model: a small model trained with the paper's recipe on procedural faces.

Not a substitute for StyleGAN-XL (docs/demo-model.md): it lets every laptop see latent-space
imaging end to end and gives tests a real decoder. Importing this package imports torch.
"""

from __future__ import annotations

from lsi_rig.models.demo.decoder import (
    WEIGHTS_DIR,
    DemoDecoder,
    DemoModel,
    available_demo_counts,
    load_demo_decoder,
)

__all__ = ["WEIGHTS_DIR", "DemoDecoder", "DemoModel", "available_demo_counts", "load_demo_decoder"]
