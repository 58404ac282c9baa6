"""Reconstruction that needs no neural network: exact linear inversion of Hadamard sets."""

from lsi_rig.recon.hadamard import is_hadamard_set, reconstruct_hadamard
from lsi_rig.recon.images import side_by_side_png

__all__ = ["is_hadamard_set", "reconstruct_hadamard", "side_by_side_png"]
