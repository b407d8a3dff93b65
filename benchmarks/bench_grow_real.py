"""Grow from seeds on real MR and CT (pydicom's and pydicom-data's files, read by path with
medgui's loader) against the standard baselines, Dice per label on the voxels that hold no
seed.

Methods: medgui's `grow_from_seeds`; SimpleITK's morphological watershed from markers on a
float32 Gaussian gradient magnitude at σ 1 and σ 0.5 voxel (the plain baselines the issue
named); scikit-image's random walker (mode "cg_j", beta 130); and GrowCut as 3D Slicer's "Grow
from seeds" runs it (FastGrowCut: Dijkstra from all seeds at once, the cost of a step is the
absolute intensity difference plus the distance penalty, 0 by default, on the 8 / 26
neighbourhood; each voxel takes the label of its cheapest seed). scikit-image has no GrowCut,
so a small faithful one is here, on scipy's Dijkstra.

There is no manual ground truth in these files, so truth is made from the image itself and
said so: MR, the intensities split into three classes by Otsu's two thresholds (SimpleITK, on
the whole image: dark = background/CSF, grey matter or muscle, bright = white matter or fat); CT,
thresholds in HU (air < -400, fat < -20, soft tissue < 300, bone); both cleaned by a 3 × 3
median of the class map (islands of one voxel go, thin sulci, cortex and fat planes stay).
Seeds are that truth eroded by one voxel in-plane, on some slices only (like a user's strokes):
on the 10-slice brain MR stack (emri_small, thin folded grey and white matter) slices 1, 4
and 7; on the single slices, three rows in every 21 (the issue's 5 slices of 35, along y).
That is the "dense" protocol; "dots" keeps of those seeds only 3 × 3 dots on a 16-voxel grid
(8 on the 64² stack), a few clicks per structure. Dice is scored per label on the voxels outside
those slices / rows, and averaged.

Truth from intensity classes favours methods that follow intensity (GrowCut, random walker)
over ones that follow edges; the watershed baselines and medgui share the same handicap. A last
line scores every method on the unit tests' phantom of two touching discs (known truth, noise,
a few seeds far apart), where GrowCut's summed path cost picks up the noise; then one preview
update on a 256×256×128 region of real texture (`textured_preview`) against the 1 s budget.

Run: .venv/bin/python benchmarks/bench_grow_real.py
Prints a table (Dice per method and case, ratios against the watershed σ 1 and the random
walker), then (last line) one JSON object with the figures.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import data_store
import numpy as np
import pydicom
import SimpleITK as sitk
from _common import median_seconds
from scipy import ndimage, sparse
from scipy.sparse.csgraph import dijkstra
from skimage.segmentation import random_walker

from medgui.core import load_volume
from medgui.core.labels.grow_from_seeds import edge_strength, flood, grow_from_seeds

ROOTS = (
    Path(pydicom.__file__).parent / "data" / "test_files",
    Path(data_store.__file__).parent / "data",
)
SEED_SLICES = (1, 4, 7)  # of the 10-slice MR stack
BAND, PERIOD = 3, 21  # single slices: seed rows [0, 3) of every 21
BUDGET_S = 1.0  # one preview update
DOT_PERIOD = 16  # the "dots" protocol: seeds only on a 16-voxel grid of those rows / slices
PROTOCOLS = ("dense", "dots")


def real_file(name: str) -> Path:
    return next(root / name for root in ROOTS if (root / name).is_file())


def mr_classes(image: np.ndarray) -> np.ndarray:
    """Three intensity classes (1 darkest … 3 brightest) by Otsu's two thresholds."""
    classes = sitk.OtsuMultipleThresholds(sitk.GetImageFromArray(image), numberOfThresholds=2)
    return sitk.GetArrayFromImage(classes).astype(np.uint8) + 1


def ct_classes(hu: np.ndarray) -> np.ndarray:
    """Air 1, fat 2, soft tissue 3, bone 4."""
    return (np.digitize(hu, (-400, -20, 300)) + 1).astype(np.uint8)


def clean(classes: np.ndarray) -> np.ndarray:
    """3 × 3 median per slice (classes are ordered by intensity, so the median is one of them)."""
    return ndimage.median_filter(classes, size=(1, 3, 3))


def seeds_from(truth: np.ndarray, seeded: np.ndarray) -> np.ndarray:
    """Truth eroded by one voxel in-plane, kept where `seeded` (a z, y mask broadcast on x)."""
    seeds = np.zeros_like(truth)
    for value in np.unique(truth):
        inner = ndimage.binary_erosion(truth == value, np.ones((1, 3, 3), bool))
        seeds[inner & seeded] = value
    return seeds


def dots(shape_yx) -> np.ndarray:
    """Sparse 3 × 3 dots on a grid of `DOT_PERIOD` (8 on small images): a few clicks."""
    period = DOT_PERIOD if min(shape_yx) > 128 else DOT_PERIOD // 2
    yy, xx = np.ogrid[: shape_yx[0], : shape_yx[1]]
    return (yy % period < 3) & (xx % period < 3)


def case(name: str, file: str, kind: str, step: int = 1, protocol: str = "dense"):
    volume = load_volume(real_file(file))
    image = volume.array[:, ::step, ::step].astype(np.float32)
    spacing = (volume.spacing_mm[0] * step, volume.spacing_mm[1] * step, volume.spacing_mm[2])
    truth = clean(mr_classes(image) if kind == "mr" else ct_classes(image))
    seeded = np.zeros(image.shape[:2], bool)
    if image.shape[0] > 1:
        seeded[list(SEED_SLICES)] = True
    else:
        seeded[:, np.arange(image.shape[1]) % PERIOD < BAND] = True
    where = seeded[:, :, None] & (dots(image.shape[1:]) if protocol == "dots" else True)
    return name, image, spacing, truth, seeds_from(truth, where), seeded


CASES = (
    ("mr_brain_stack", "emri_small.dcm", "mr", 1),
    ("mr_shoulder", "MR2_UNCR.dcm", "mr", 2),
    ("mr_abdomen", "MR-SIEMENS-DICOM-WithOverlays.dcm", "mr", 1),
    ("ct_head", "693_UNCR.dcm", "ct", 1),
    ("ct_abdomen", "explicit_VR-UN.dcm", "ct", 1),
    ("ct_neck", "bad_sequence.dcm", "ct", 1),
)


def squeeze(image, seeds, spacing):
    """Single slices as 2-D arrays (every method grows them in 2-D, as the tool does)."""
    if image.shape[0] == 1:
        return image[0], seeds[0], spacing[:2]
    return image, seeds, spacing


def watershed(sigma_voxels: float):
    def run(image, seeds, spacing):
        picture = sitk.GetImageFromArray(image)
        picture.SetSpacing([float(s) for s in spacing])
        sigma = sigma_voxels * min(spacing)
        gradient = sitk.GradientMagnitudeRecursiveGaussian(picture, sigma)
        markers = sitk.GetImageFromArray(seeds.astype(np.uint16))
        markers.CopyInformation(gradient)
        grown = sitk.MorphologicalWatershedFromMarkers(gradient, markers, False, False)
        return sitk.GetArrayFromImage(grown)

    return run


def walker(image, seeds, spacing):
    scale = float(np.percentile(image, 99.5) - np.percentile(image, 0.5)) or 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return random_walker(
            image / scale, seeds.astype(np.int32), beta=130, mode="cg_j", tol=1e-3,
            spacing=np.asarray(spacing, float)[::-1],
        )  # fmt: skip


def growcut(image, seeds, spacing):
    """Slicer's FastGrowCut (distance penalty 0): each voxel's label is that of the seed with
    the cheapest path, a step costing |ΔI| between neighbours (8 in 2-D, 26 in 3-D)."""
    index = np.arange(image.size).reshape(image.shape)
    values = image.ravel().astype(np.float64)
    rows, cols, weights = [], [], []
    offsets = [o for o in np.ndindex(*(3,) * image.ndim) if any(v != 1 for v in o)]
    for offset in offsets[: len(offsets) // 2]:  # one of each opposite pair; graph undirected
        a = tuple(slice(0, n - 1) if d == 0 else slice(1, n) if d == 2 else slice(None)
                  for d, n in zip(offset, image.shape, strict=True))  # fmt: skip
        b = tuple(slice(1, n) if d == 0 else slice(0, n - 1) if d == 2 else slice(None)
                  for d, n in zip(offset, image.shape, strict=True))  # fmt: skip
        rows.append(index[a].ravel())
        cols.append(index[b].ravel())
        # sparse graphs drop zero weights: a tiny floor keeps equal neighbours connected
        weights.append(np.abs(values[index[a].ravel()] - values[index[b].ravel()]) + 1e-6)
    graph = sparse.coo_matrix(
        (np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
        shape=(image.size, image.size),
    ).tocsr()
    sources = np.flatnonzero(seeds.ravel())
    _, _, nearest = dijkstra(graph, directed=False, indices=sources, min_only=True,
                             return_predecessors=True)  # fmt: skip
    return seeds.ravel()[np.maximum(nearest, 0)].reshape(seeds.shape)


def medgui(image, seeds, spacing):
    return grow_from_seeds(image, seeds, spacing)


METHODS = {
    "medgui": medgui,
    "watershed_s1": watershed(1.0),
    "watershed_s05": watershed(0.5),
    "random_walker": walker,
    "growcut": growcut,
}


def dice_per_label(labels, truth, scored) -> float:
    scores = []
    for value in np.unique(truth[scored]):
        a, b = labels[scored] == value, truth[scored] == value
        scores.append(2 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b)))
    return float(np.mean(scores))


def measure(protocol: str, seconds: dict[str, float]) -> dict[str, dict[str, float]]:
    """Dice per case and method for one seed protocol (`seconds` accumulates the times)."""
    figures: dict[str, dict[str, float]] = {}
    for name, file, kind, step in CASES:
        name, image, spacing, truth, seeds, seeded = case(name, file, kind, step, protocol)
        scored = np.broadcast_to(~seeded[:, :, None], truth.shape)
        flat_image, flat_seeds, flat_spacing = squeeze(image, seeds, spacing)
        figures[name] = {}
        for method, run in METHODS.items():
            start = time.perf_counter()
            labels = run(flat_image, flat_seeds, flat_spacing).reshape(truth.shape)
            seconds[method] += time.perf_counter() - start
            figures[name][method] = round(dice_per_label(labels, truth, scored), 4)
    figures["mean"] = {
        m: round(float(np.mean([figures[c][m] for c in figures])), 4) for m in METHODS
    }
    return figures


def touching_discs() -> dict[str, float]:
    """Dice per method on a generated image whose truth is known (the unit tests' phantom: two
    touching discs of 100 and 200 on 0, noise σ 10, one small square seed per disc and three
    in the background): how each method copes with noise and seeds far apart."""
    yy, xx = np.mgrid[:128, :128]
    left = (yy - 64) ** 2 + (xx - 44) ** 2 <= 30**2
    right = ((yy - 64) ** 2 + (xx - 94) ** 2 <= 20**2) & ~left
    truth = np.where(left, 1, np.where(right, 2, 3)).astype(np.uint8)
    image = np.where(left, 100.0, np.where(right, 200.0, 0.0))
    image = (image + np.random.default_rng(0).normal(0, 10, image.shape)).astype(np.float32)
    seeds = np.zeros((128, 128), np.uint8)
    seeds[60:68, 40:48] = 1
    seeds[62:66, 92:96] = 2
    seeds[2:6, 2:6] = seeds[120:124, 120:124] = seeds[2:6, 120:124] = 3
    scored = seeds == 0
    return {
        m: round(dice_per_label(run(image, seeds, (0.5, 0.5)), truth, scored), 4)
        for m, run in METHODS.items()
    }


def textured_preview() -> dict[str, float]:
    """One preview update (edges known, as the tool has them) on a 256×256×128 region with real
    texture: the brain MR stack resampled (linear) to that grid; truth its Otsu classes, seeds
    eroded truth on 5 of the 128 slices. Also the flood without the coarse pass, to see what
    the coarse pass costs in Dice and saves in time on thin, folded structures."""
    volume = load_volume(real_file("emri_small.dcm"))
    picture = sitk.GetImageFromArray(volume.array.astype(np.float32))
    grid = sitk.Image([256, 256, 128], sitk.sitkFloat32)
    grid.SetSpacing([0.25, 0.25, 10 / 128])
    grid.SetOrigin([-0.375, -0.375, -0.5 + 5 / 128])
    image = sitk.GetArrayFromImage(sitk.Resample(picture, grid, sitk.Transform(), sitk.sitkLinear))
    truth = clean(mr_classes(image))
    seeded = np.zeros(image.shape[:2], bool)
    seeded[np.linspace(12.8, 115.2, 5).astype(int)] = True
    seeds = seeds_from(truth, seeded[:, :, None])
    scored = np.broadcast_to(~seeded[:, :, None], truth.shape)
    spacing = grid.GetSpacing()
    edges = edge_strength(image, spacing)
    update = median_seconds(lambda: grow_from_seeds(image, seeds, spacing, edges=edges), 3)
    start = time.perf_counter()
    direct = flood(edges, seeds)
    return {
        "update_s": round(update, 3),
        "update_over_budget": round(update / BUDGET_S, 3),
        "direct_flood_s": round(time.perf_counter() - start, 3),
        "dice": round(
            dice_per_label(grow_from_seeds(image, seeds, spacing, edges=edges), truth, scored), 4
        ),
        "direct_flood_dice": round(dice_per_label(direct, truth, scored), 4),
    }


def main() -> None:
    seconds: dict[str, float] = dict.fromkeys(METHODS, 0.0)
    dice = {protocol: measure(protocol, seconds) for protocol in PROTOCOLS}
    phantom = touching_discs()
    preview = textured_preview()
    ratios = {
        protocol: {
            f"medgui_over_{base}": {
                c: round(figures[c]["medgui"] / figures[c][base], 4) for c in figures
            }
            for base in ("watershed_s1", "random_walker", "growcut")
        }
        for protocol, figures in dice.items()
    }
    for protocol, figures in dice.items():
        print(f"seeds: {protocol}")
        print(f"{'case':<16}" + "".join(f"{m:>15}" for m in METHODS))
        for name, row in figures.items():
            print(f"{name:<16}" + "".join(f"{row[m]:>15.4f}" for m in METHODS))
        for key, per_case in ratios[protocol].items():
            print(f"  {key}: " + ", ".join(f"{c} {r:.3f}" for c, r in per_case.items()))
    print(f"{'seconds':<16}" + "".join(f"{seconds[m]:>15.2f}" for m in METHODS))
    print(f"{'phantom discs':<16}" + "".join(f"{phantom[m]:>15.4f}" for m in METHODS))
    print(
        f"preview on a textured 256×256×128 region: {preview['update_s']:.3f} s = "
        f"{preview['update_over_budget']:.2f} × the {BUDGET_S:.0f} s budget (Dice "
        f"{preview['dice']:.4f}; without the coarse pass {preview['direct_flood_s']:.3f} s, "
        f"Dice {preview['direct_flood_dice']:.4f})"
    )
    print(json.dumps({"dice": dice, "phantom_discs": phantom, "textured_preview": preview,
                      "ratios": ratios,
                      "seconds": {m: round(s, 2) for m, s in seconds.items()}}))  # fmt: skip


if __name__ == "__main__":
    main()
