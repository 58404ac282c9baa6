"""Evaluation: the paper's Table 1 protocol (PSNR, SSIM, attribute accuracy, segmentation F1,
landmark NME, Dlib recognition rate) for any decoder, across measurement counts."""
