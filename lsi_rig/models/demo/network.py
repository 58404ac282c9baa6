"""The demo LSI model's networks: learned 1-bit masks, measurement encoder, generator, heads.

The paper's recipe in miniature (docs/demo-model.md): binary masks learned through a
straight-through estimator, an MLP from the n measurements to a latent, a small convolutional
generator from the latent to a 64×64 face whose 32² and 64² features (and RGB) feed a parsing
head, and linear heads on the latent for the 40 attributes and the 68 landmarks. The generator
and parsing head are shared by every measurement count; masks, encoder and the linear heads are
per count.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

IMAGE_SIZE = 256  # scene and mask resolution (the DMD's 256×256 mask grid)
MASK_GRID = 32  # learned mask cells per side; each cell is an 8×8 block of mask pixels
BLOCK = IMAGE_SIZE // MASK_GRID
OUTPUT_SIZE = 64  # generator resolution (upsampled to 256 for display)
LATENT = 128
N_CLASSES = 19
N_ATTRIBUTES = 40
N_LANDMARKS = 68
#: measurement units per encoder unit: a half-on mask over a mid-grey scene gives ≈ 1
MEASUREMENT_SCALE = 3.0 * IMAGE_SIZE * IMAGE_SIZE / 4.0


class CoarseBinaryMask(nn.Module):
    """n learned masks on a 32×32 grid, binarised as the official ``MaskGenerator`` does:
    q = round(clamp(w, 0, 1)) forward, identity gradient to w backward (straight-through)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.rand(n, MASK_GRID * MASK_GRID))

    def binary(self) -> torch.Tensor:
        w = self.weight
        q = torch.round(torch.clamp(w, 0.0, 1.0))
        return (q - w).detach() + w

    def forward(self, blocks: torch.Tensor) -> torch.Tensor:
        """Block sums [B, 1024] (Σ_c image01 over each 8×8 block) → measurements [B, n]."""
        return blocks @ self.binary().t()


class MeasurementEncoder(nn.Module):
    """Measurement [B, n] in simulation units → latent [B, LATENT]."""

    def __init__(self, n: int, hidden: int = 512) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(n)
        self.net = nn.Sequential(
            nn.Linear(n, hidden),
            nn.LayerNorm(hidden),
            nn.SiLU(),
            nn.Linear(hidden, hidden),
            nn.LayerNorm(hidden),
            nn.SiLU(),
            nn.Linear(hidden, LATENT),
        )

    def forward(self, m: torch.Tensor) -> torch.Tensor:
        return self.net(self.norm(m / MEASUREMENT_SCALE))


def _down(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 4, stride=2, padding=1), nn.BatchNorm2d(cout), nn.SiLU()
    )


class ImageEncoder(nn.Module):
    """64×64 RGB → latent: the 'inversion encoder' whose latents the measurement encoders
    regress to (training only; not shipped)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(_down(3, 16), _down(16, 32), _down(32, 64), _down(64, 128))
        self.fc = nn.Linear(128 * 4 * 4, LATENT)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.fc(self.net(image).flatten(1))


class Generator(nn.Module):
    """Latent → 64×64 RGB in [0, 1], plus the 32² and 64² features for the parsing head."""

    channels = (128, 64, 32, 16, 12)

    def __init__(self) -> None:
        super().__init__()
        c = self.channels
        self.fc = nn.Linear(LATENT, c[0] * 16)
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(c[i], c[i + 1], 3, padding=1), nn.BatchNorm2d(c[i + 1]), nn.SiLU()
            )
            for i in range(4)
        )
        self.to_rgb = nn.Conv2d(c[-1], 3, 3, padding=1)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        x = F.silu(self.fc(z)).view(-1, self.channels[0], 4, 4)
        features = []
        for block in self.blocks:
            x = block(F.interpolate(x, scale_factor=2.0, mode="nearest"))
            features.append(x)
        return torch.sigmoid(self.to_rgb(x)), features[-2:]


class AuxiliaryParsingHead(nn.Module):
    """Training only: 1×1 projections of the generator's 32² (upsampled) and 64² features to
    19 logits. Its loss in stages 1–2 makes those features carry the parsing; the shipped
    :class:`ParsingHead` is trained on them afterwards (stage 3)."""

    def __init__(self) -> None:
        super().__init__()
        c = Generator.channels
        self.coarse = nn.Conv2d(c[-2], N_CLASSES, 1)
        self.fine = nn.Conv2d(c[-1], N_CLASSES, 1)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        f32, f64 = features
        up = F.interpolate(
            self.coarse(f32), size=f64.shape[-2:], mode="bilinear", align_corners=False
        )
        return up + self.fine(f64)


class ParsingHead(nn.Module):
    """19-class logits at 64×64 from the generator's 32² and 64² features and its RGB output.

    A 3×3 convolution on the 32² features (upsampled) and one on the 64² features + RGB + that,
    then a 1×1 projection: small parts (eyes, brows, nose, lips, ears) need a few pixels of
    context that a 1×1 head does not see. About 30 MFLOP per face, so decoding stays live."""

    coarse_channels = 16
    hidden = 24

    def __init__(self) -> None:
        super().__init__()
        c = Generator.channels
        self.coarse = nn.Conv2d(c[-2], self.coarse_channels, 3, padding=1)
        self.fine = nn.Conv2d(c[-1] + self.coarse_channels + 3, self.hidden, 3, padding=1)
        self.out = nn.Conv2d(self.hidden, N_CLASSES, 1)

    def forward(self, features: list[torch.Tensor], rgb: torch.Tensor) -> torch.Tensor:
        f32, f64 = features
        up = F.interpolate(
            F.silu(self.coarse(f32)), size=f64.shape[-2:], mode="bilinear", align_corners=False
        )
        return self.out(F.silu(self.fine(torch.cat([f64, up, rgb], dim=1))))


class LatentHeads(nn.Module):
    """Linear heads on the latent: 40 attribute logits and 68 landmarks in normalised image
    coordinates ((px + 0.5) / 256 − 0.5, x = column)."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes = nn.Linear(LATENT, N_ATTRIBUTES)
        self.landmarks = nn.Linear(LATENT, 2 * N_LANDMARKS)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.attributes(z), self.landmarks(z).view(-1, N_LANDMARKS, 2)


def landmarks_to_px(normalised: torch.Tensor) -> torch.Tensor:
    return (normalised + 0.5) * IMAGE_SIZE - 0.5


def px_to_landmarks(px: torch.Tensor) -> torch.Tensor:
    return (px + 0.5) / IMAGE_SIZE - 0.5


def upsample_masks(coarse: torch.Tensor) -> torch.Tensor:
    """Binary coarse masks [n, 1024] → 256×256 DMD masks [n, 256, 256] (8×8 blocks)."""
    grid = coarse.reshape(-1, MASK_GRID, MASK_GRID)
    return grid.repeat_interleave(BLOCK, dim=1).repeat_interleave(BLOCK, dim=2)
