"""First-order intensity and GLCM texture features of the voxels inside one label.

Definitions follow IBSI 1 (Zwanenburg et al., Radiology 2020; reference manual chapters 3.3,
3.4 and 3.6); the section is given with each feature. Intensities are the modality's units (HU
for CT). Numbers are computed with numpy and scikit-image: `graycomatrix`/`graycoprops` count
and summarise co-occurrences in compiled code and are the implementation the Python imaging
community checks, so only the masking and the merging of matrices are done here.

Discretisation (IBSI 2.7), used by the histogram entropy and the GLCM:
- CT (calibrated HU): fixed bin size of 25 HU, bins counted from the label's minimum
  (bin = ⌊(x − x_min)/25⌋ + 1): the same HU step means the same tissue difference in every
  patient, which a fixed bin number would not keep.
- other modalities (arbitrary units): fixed bin number, 32 bins between the label's minimum and
  maximum, since a bin size in arbitrary units means nothing across scans.
"""

from __future__ import annotations

import math

import numpy as np
from skimage.feature import graycomatrix, graycoprops

#: IBSI fixed bin size for HU and fixed bin number otherwise (see the module docstring).
BIN_WIDTH_HU = 25.0
BIN_COUNT = 32
#: Past this many grey levels the matrix grows without adding information (a label spanning
#: air to bone); the bin width is widened to keep it.
MAX_LEVELS = 256

FIRST_ORDER = (
    "mean",
    "sd",
    "min",
    "p10",
    "p25",
    "median",
    "p75",
    "p90",
    "max",
    "skewness",
    "kurtosis",
    "energy",
    "entropy",
)
TEXTURE = (
    "glcm_contrast",
    "glcm_dissimilarity",
    "glcm_homogeneity",
    "glcm_energy",
    "glcm_correlation",
    "glcm_entropy",
)


def discretise(values: np.ndarray, hounsfield: bool) -> np.ndarray:
    """Bin numbers 1..N of `values` (IBSI 2.7: fixed bin size 25 HU for CT, else 32 bins)."""
    low, high = float(values.min()), float(values.max())
    if hounsfield:
        width = max(BIN_WIDTH_HU, (high - low) / (MAX_LEVELS - 1))
        return (np.floor((values - low) / width) + 1).astype(np.int64)
    if high == low:
        return np.ones(values.shape, np.int64)
    bins = np.floor(BIN_COUNT * (values - low) / (high - low)) + 1
    return np.minimum(bins, BIN_COUNT).astype(np.int64)  # the maximum goes in the last bin


def first_order(values: np.ndarray, hounsfield: bool) -> dict[str, float]:
    """First-order features of the intensities `values` (1-D, at least one):

    mean, sd (population, IBSI 3.3.1 and 3.3.2's variance square-rooted), min, max, the 10th,
    25th, 50th, 75th and 90th percentiles (3.3.6–3.3.11; linear interpolation), skewness
    m₃/m₂^(3/2) (3.3.3), kurtosis m₄/m₂² − 3 (excess, 3.3.4), energy Σ xᵢ² (3.3.16; it grows
    with the number of voxels), and entropy −Σ pᵢ log₂ pᵢ of the discretised intensities
    (intensity histogram entropy, 3.4.18)."""
    x = values.astype(np.float64)
    mean = float(x.mean())
    centred = x - mean
    m2 = float(np.mean(centred**2))
    p10, p25, median, p75, p90 = np.percentile(x, [10, 25, 50, 75, 90])
    _, counts = np.unique(discretise(x, hounsfield), return_counts=True)
    p = counts / counts.sum()
    return {
        "mean": mean,
        "sd": math.sqrt(m2),
        "min": float(x.min()),
        "p10": float(p10),
        "p25": float(p25),
        "median": float(median),
        "p75": float(p75),
        "p90": float(p90),
        "max": float(x.max()),
        "skewness": float(np.mean(centred**3)) / m2**1.5 if m2 > 0 else math.nan,
        "kurtosis": float(np.mean(centred**4)) / m2**2 - 3 if m2 > 0 else math.nan,
        "energy": float(np.sum(x**2)),
        "entropy": float(-np.sum(p * np.log2(p))),
    }


def glcm_features(image: np.ndarray, mask: np.ndarray, hounsfield: bool) -> dict[str, float]:
    """GLCM texture of `image` (z, y, x) inside `mask`, IBSI 3.6 "2.5-D merged": symmetric
    co-occurrence matrices at distance 1 voxel in the 4 in-plane directions (0°, 45°, 90°,
    135°) of every axial slice are added into one matrix, which is normalised and summarised.
    In-plane only, because slices are usually much thicker than pixels are wide, so a
    through-plane neighbour is no neighbour at the same distance.

    contrast Σ (i−j)² p (3.6.10), dissimilarity Σ |i−j| p (3.6.11), homogeneity (inverse
    difference moment) Σ p / (1+(i−j)²) (3.6.14), energy √(Σ p²) (scikit-image's "energy";
    IBSI's joint energy 3.6.4 is its square), correlation (3.6.20) and joint entropy
    −Σ p log₂ p (3.6.5; scikit-image's uses the natural log, converted). NaN when no two
    labelled voxels touch in plane."""
    levels = np.zeros(image.shape, np.int64)
    levels[mask] = discretise(image[mask], hounsfield)
    n_levels = int(levels.max()) + 1  # level 0 is outside the label, dropped below
    angles = [0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4]
    merged = np.zeros((n_levels, n_levels), np.float64)
    for index in np.flatnonzero(mask.any(axis=(1, 2))):
        rows, cols = np.nonzero(mask[index])
        crop = levels[index, rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        counts = graycomatrix(crop, [1], angles, levels=n_levels, symmetric=True)
        merged += counts[:, :, 0, :].sum(axis=-1)
    merged = merged[1:, 1:]  # pairs with a voxel outside the label do not count
    if merged.sum() == 0:
        return dict.fromkeys(TEXTURE, math.nan)
    matrix = (merged / merged.sum())[:, :, None, None]
    found = {
        f"glcm_{prop}": float(graycoprops(matrix, prop)[0, 0])
        for prop in ("contrast", "dissimilarity", "homogeneity", "energy", "correlation")
    }
    p = matrix[matrix > 0]
    found["glcm_entropy"] = float(-np.sum(p * np.log2(p)))
    return found


def intensity_features(image: np.ndarray, mask: np.ndarray, hounsfield: bool) -> dict[str, float]:
    """`FIRST_ORDER` and `TEXTURE` features of `image` inside `mask` (same shape, not empty)."""
    return first_order(image[mask], hounsfield) | glcm_features(image, mask, hounsfield)
