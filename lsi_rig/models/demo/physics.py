"""What the camera measures, for training: block sums of the scene and a rig-noise model.

Because the learned masks are constant over 8×8 blocks of the 256×256 grid, the official
simulated measurement Σ_c Σ_ij mask_ij · image01_c,ij (lsi-model.md §5.1) equals
Σ_blocks mask_block · S_block with S_block the sum of R+G+B (in [0, 1]) over the block: the
training set stores S (1 024 numbers per face) instead of the picture.

The rig-noise model perturbs each training measurement so a model trained on the official
scale survives a monitor-based rig: the scene's light is a random mix of the linear image and
its gamma-2.2 decoding (the sim rig's monitor, and real monitors, show v/255 as (v/255)^2.2),
vignetting up to 10 % at the corners, a ±3 % gain error and additive noise up to 100 units
(the sim rig's noise is ≈ 20 units on measurements of ≈ 4·10⁴).
"""

from __future__ import annotations

import numpy as np
import torch

from lsi_rig.models.demo.network import BLOCK, MASK_GRID

DISPLAY_GAMMA = 2.2
MAX_VIGNETTING = 0.1
MAX_GAIN_ERROR = 0.03
MAX_NOISE_UNITS = 100.0


def block_sums(image: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """uint8 [256, 256, 3] → float32 [1024]: Σ_c (v/255)^gamma over each 8×8 block."""
    x = image.astype(np.float32) / 255.0
    if gamma != 1.0:
        x = x**gamma
    plane = x.sum(axis=2)
    return plane.reshape(MASK_GRID, BLOCK, MASK_GRID, BLOCK).sum(axis=(1, 3)).reshape(-1)


def _radius2() -> torch.Tensor:
    c = (torch.arange(MASK_GRID, dtype=torch.float32) + 0.5) / MASK_GRID - 0.5
    r2 = c[None, :] ** 2 + c[:, None] ** 2
    return (r2 / 0.5).reshape(-1)  # 1 at the corners


_R2 = _radius2()


def perturbed_blocks(
    linear: torch.Tensor, gamma: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """Block sums as a random rig sees them (display gamma mix and vignetting)."""
    b = linear.shape[0]
    t = torch.rand(b, 1, generator=generator)
    vignetting = torch.rand(b, 1, generator=generator) * MAX_VIGNETTING
    return (linear + t * (gamma - linear)) * (1.0 - vignetting * _R2)


def noisy(m: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Gain error and additive noise on measurements [B, n]."""
    b = m.shape[0]
    gain = 1.0 + (torch.rand(b, 1, generator=generator) * 2 - 1) * MAX_GAIN_ERROR
    sigma = torch.rand(b, 1, generator=generator) * MAX_NOISE_UNITS
    return m * gain + sigma * torch.randn(m.shape, generator=generator)
