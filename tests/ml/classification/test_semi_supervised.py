"""Semi-supervised classification (GAN, FixMatch), generation and the near-copy check, on
scikit-learn's bundled digits as tiny PNG folders."""

from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np
import pytest
import torch
from ml_testing import write_digit_folders
from PIL import Image

from medgui.cli.main import main
from medgui.ml.classification.generate import GanModel, generate_per_class
from medgui.ml.classification.privacy import copy_threshold, nearest_distances
from medgui.ml.classification.ssgan import (
    ConditionalGenerator,
    discriminator_loss,
    fixmatch_loss,
    strong_augment,
)
from medgui.ml.models.task import TrainConfig, get_task
from medgui.ml.training.checkpoint import load_checkpoint
from medgui.ml.training.events import EpochDone, Finished, Message, SamplesDrawn
from medgui.ml.training.trainer import trainer_for


@pytest.fixture(autouse=True)
def _one_thread():
    """One torch thread: on shared cores two threads ran these tiny networks many times
    slower (after conftest's two-thread fixture, which restores the count afterwards)."""
    torch.set_num_threads(1)


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    return write_digit_folders(tmp_path_factory.mktemp("digits"))


def _config(method: str, **changes) -> TrainConfig:
    base = dict(
        task="classify",
        epochs=1,
        batch_size=16,
        device="cpu",
        seed=0,
        early_stopping_patience=0,
        options={"size": 16, "method": method},
    )
    return TrainConfig(**(base | changes))


def _events(method: str, sources, **changes) -> list:
    config = _config(method, **changes)
    return list(trainer_for(get_task("classify"), config).run(sources))


@pytest.fixture(scope="module")
def gan_model(digits, tmp_path_factory):
    """`medgui train --method gan` for 2 epochs: (model folder, exit status, stdout)."""
    labelled, unlabelled = digits
    out = tmp_path_factory.mktemp("gan") / "model"
    status, stdout, stderr = _run(
        ["train", "--task", "classify", "--images", str(labelled), "--unlabelled",
         str(unlabelled), "--method", "gan", "--epochs", "2", "--out", str(out), "--device",
         "cpu", "--batch-size", "16", "--option", "size=16"]
    )  # fmt: skip
    assert status == 0, stderr
    return out, stdout


def test_gan_training_records_the_method_counts_and_generator(gan_model):
    out, stdout = gan_model
    card = json.loads((out / "card.json").read_text())
    assert card["extra"]["semi_supervised"] == {
        "method": "gan",
        "labelled_images": 12,
        "unlabelled_images": 60,
        "synthetic_images": 0,
    }
    assert card["extra"]["generator"]["classes"] == 3 and card["extra"]["generator"]["size"] == 16
    assert card["extra"]["privacy"]["threshold"] > 0
    assert {"d_loss", "g_loss", "accuracy"} <= set(card["epochs"][-1])
    assert (out / "generator.safetensors").is_file()
    assert "generator" in load_checkpoint(out / "checkpoint")  # resume continues the GAN too
    assert json.loads(stdout.splitlines()[-1])["epochs_run"] == 2


def test_infer_runs_on_the_gan_model_as_on_any_classifier(gan_model, digits, tmp_path):
    out, _ = gan_model
    output = tmp_path / "p.json"
    status, _, stderr = _run(["infer", "--model", str(out), str(digits[0]), str(output)])
    found = json.loads((tmp_path / "p.json").read_text())
    assert status == 0, stderr
    assert len(found) == 12 and all(set(p) == {"0", "1", "2"} for p in found.values())


def test_generate_writes_an_image_folder_of_marked_synthetic_pngs(gan_model, tmp_path):
    out, _ = gan_model
    status, stdout, stderr = _run(
        ["generate", "--model", str(out), "--per-class", "3", "--out", str(tmp_path / "g")]
    )
    assert status == 0, stderr
    report = json.loads(stdout.splitlines()[-1])["classes"]
    for name in ("0", "1", "2"):
        files = sorted((tmp_path / "g" / name).glob("*.png"))
        assert len(files) == report[name]["written"] == 3
        with Image.open(files[0]) as image:
            assert image.size == (16, 16) and image.info["medgui:synthetic"] == "true"


def test_generated_near_copies_are_flagged_and_not_written(gan_model, digits, tmp_path):
    """A generator that returns a training image: every draw is flagged, nothing is written."""
    out, _ = gan_model
    model = GanModel(out)
    with Image.open(next((digits[1]).rglob("*.png"))) as image:
        copy = torch.from_numpy(np.asarray(image, np.float32) / 255.0)[None, None]
    model.generator.forward = lambda z, labels: copy.expand(len(z), -1, -1, -1)
    drawn = model.draw("1", 4, seed=0)
    assert drawn.flagged.all() and np.allclose(drawn.distances, 0, atol=1e-4)
    assert drawn.offered() == []
    images, flagged = model.draw_offered("1", 2)
    assert images == [] and flagged == 8  # 4 tries of 2


def test_generate_refuses_a_model_without_generator(tmp_path):
    from ml_testing import classify_model

    with pytest.raises(ValueError, match="not trained with --method gan"):
        generate_per_class(classify_model(tmp_path / "m"), 2, tmp_path / "g")


def test_fixmatch_trains_through_the_trainer_and_card(digits):
    labelled, unlabelled = digits
    events = _events("fixmatch", {"images": str(labelled), "unlabelled": str(unlabelled)})
    epoch = next(e for e in events if isinstance(e, EpochDone))
    assert {"unlabelled_loss", "pseudo_label_rate", "accuracy"} <= set(epoch.metrics)
    card = events[-1].result.model.card
    assert card.extra["semi_supervised"]["method"] == "fixmatch"
    assert card.extra["semi_supervised"]["unlabelled_images"] == 60
    assert not any(isinstance(e, SamplesDrawn) for e in events)  # FixMatch draws nothing


def test_gan_yields_a_sample_grid_per_epoch(digits):
    labelled, unlabelled = digits
    events = _events("gan", {"images": str(labelled), "unlabelled": str(unlabelled)}, epochs=2)
    grids = [e for e in events if isinstance(e, SamplesDrawn)]
    assert [g.epoch for g in grids] == [1, 2] and grids[0].classes == ["0", "1", "2"]
    side, per_class = grids[0].side, grids[0].per_class
    assert grids[0].grid.shape == (3 * (side + 1) + 1, per_class * (side + 1) + 1)
    assert grids[0].grid.dtype == np.uint8 and not np.array_equal(grids[0].grid, grids[1].grid)
    assert isinstance(events[-1], Finished)


def test_synthetic_labelled_images_train_and_are_counted_never_validated(digits, tmp_path):
    labelled, unlabelled = digits
    import shutil

    data = tmp_path / "labelled"
    shutil.copytree(labelled, data)
    from medgui.core.deid.synthetic import write_synthetic_png

    for name in ("0", "1", "2"):
        for k in range(3):
            image = np.full((16, 16), 40 * k, np.uint8)
            write_synthetic_png(image, data / name / f"syn{k}.png", name)
    split = get_task("classify").make_split(
        _config("fixmatch", val_split=0.5), {"images": str(data), "unlabelled": str(unlabelled)}
    )
    assert split.info["synthetic_images"] == 9 and split.info["labelled_images"] == 12
    assert not any(g.startswith("synthetic:") for g in split.val_ids)
    assert sum(g.startswith("synthetic:") for g in split.train_ids) == 9


@pytest.mark.parametrize(
    ("method", "unlabelled", "match"),
    [
        ("gan", None, "needs unlabelled images"),
        ("supervised", "unlabelled", "gan and fixmatch methods only"),
        ("fixmatch", "empty", "no unlabelled PNG, JPEG or DICOM images found"),
        ("gan", "mixed", r"mixed sizes: .*16×16.*20×12.*resize them first"),
    ],
)
def test_bad_unlabelled_input_gives_clear_errors(digits, tmp_path, method, unlabelled, match):
    labelled, real = digits
    folders = {"unlabelled": str(real), "empty": str(tmp_path), None: None}
    if unlabelled == "mixed":
        Image.fromarray(np.zeros((12, 20), np.uint8)).save(tmp_path / "odd.png")
        folders["mixed"] = str(tmp_path)
    sources = {"images": str(labelled), "unlabelled": folders[unlabelled]}
    with pytest.raises(ValueError, match=match):
        get_task("classify").make_split(_config(method), sources)


def test_one_class_only_is_refused_by_the_cli(digits, tmp_path):
    labelled, unlabelled = digits
    one = tmp_path / "one"
    (one / "0").mkdir(parents=True)
    for path in (labelled / "0").glob("*.png"):
        (one / "0" / path.name).write_bytes(path.read_bytes())
    status, _, stderr = _run(
        ["train", "--task", "classify", "--images", str(one), "--unlabelled", str(unlabelled),
         "--method", "gan", "--out", str(tmp_path / "m")]
    )  # fmt: skip
    assert status == 1 and "needs at least two class folders" in stderr
    assert not (tmp_path / "m").exists()


def test_unlabelled_is_refused_for_segmentation(digits, tmp_path):
    status, _, stderr = _run(
        ["train", "--task", "segment", "--images", str(tmp_path), "--unlabelled",
         str(digits[1]), "--out", str(tmp_path / "m")]
    )  # fmt: skip
    assert status == 2 and "--unlabelled DIR is for --task classify" in stderr


def test_k_logit_discriminator_loss_is_salimans_d():
    """D(x) = Z/(Z+1): the unsupervised part is -log D(real) - log(1 - D(generated))."""
    labelled = torch.tensor([[2.0, 0.0]])
    real, fake = torch.tensor([[1.0, 3.0]]), torch.tensor([[-1.0, 0.5]])
    total, supervised = discriminator_loss(labelled, torch.tensor([0]), real, fake)
    z_real, z_fake = math.exp(1) + math.exp(3), math.exp(-1) + math.exp(0.5)
    unsupervised = -math.log(z_real / (z_real + 1)) - math.log(1 / (z_fake + 1))
    assert float(supervised) == pytest.approx(-math.log(math.exp(2) / (math.exp(2) + 1)))
    assert float(total) == pytest.approx(float(supervised) + 0.5 * unsupervised, rel=1e-5)


def test_fixmatch_loss_uses_only_confident_pseudo_labels():
    weak = torch.tensor([[5.0, 0.0], [0.1, 0.0]])  # confident class 0; unsure
    strong = torch.tensor([[0.0, 0.0], [0.0, 9.0]])
    loss, used = fixmatch_loss(weak, strong, threshold=0.95)
    assert used == 0.5 and float(loss) == pytest.approx(math.log(2) / 2, rel=1e-5)


def test_generator_draws_the_class_it_is_given_at_any_size():
    torch.manual_seed(0)
    generator = ConditionalGenerator(3, 1, 15).eval()
    z = torch.randn(2, generator.latent)
    with torch.no_grad():
        a = generator(z, torch.tensor([0, 0]))
        b = generator(z, torch.tensor([2, 2]))
    assert a.shape == (2, 1, 15, 15) and 0 <= float(a.min()) and float(a.max()) <= 1
    assert not torch.allclose(a, b)  # the same noise, another class: another image


def test_strong_augmentation_changes_images_and_keeps_shape():
    x = torch.rand(4, 1, 16, 16)
    y = strong_augment(x, torch.Generator().manual_seed(0))
    assert y.shape == x.shape and not torch.allclose(x, y)
    assert (y == 0).flatten(1).sum(1).min() >= 16  # a 4×4 cut-out in each


def test_copy_threshold_flags_exact_copies_only_below_real_neighbours():
    features = torch.randn(50, 8, generator=torch.Generator().manual_seed(0))
    threshold, quantile = copy_threshold(features)
    loo = nearest_distances(features, features, leave_one_out=True)
    assert quantile == 0.01 and 0 < threshold <= float(loo.median())
    assert float(nearest_distances(features[:3], features).max()) == 0.0  # copies: 0


def test_resumed_gan_continues_from_its_checkpoint(digits, tmp_path):
    labelled, unlabelled = digits
    sources = {"images": str(labelled), "unlabelled": str(unlabelled)}
    _events("gan", sources, out_dir=str(tmp_path / "m"))
    config = _config("gan", epochs=2, out_dir=str(tmp_path / "m"))
    trainer = trainer_for(get_task("classify"), config)
    events = list(trainer.run(sources, resume_from=tmp_path / "m" / "checkpoint"))
    assert any(isinstance(e, Message) and "resuming after epoch 1" in e.text for e in events)
    saved = load_checkpoint(tmp_path / "m" / "checkpoint")["generator"]
    assert saved.keys() == trainer.generator.state_dict().keys()
    assert [e.epoch for e in events if isinstance(e, SamplesDrawn)] == [2]


def _tagged_workspace(root, tmp_path):
    """Two CT series of two patients, 6 slices of 16×16: slices 0-1 tagged "dark", 4-5
    "bright", 2-3 untagged."""
    from medgui.core.annotations.model import ClassTagSet, SeriesAnnotations
    from medgui.core.dicom.write import SeriesInfo, write_dicom_series
    from medgui.core.image.volume import Volume
    from medgui.core.workspace.store import SeriesWork, Workspace

    workspace, keys = Workspace(root), []
    for n, patient in enumerate(["P1", "P2"]):
        hu = np.random.default_rng(n).normal(0, 30, (6, 16, 16)).astype(np.int16)
        hu[3:] += 600
        info = SeriesInfo(patient_id=patient, series_number=n + 1)
        write_dicom_series(Volume(hu), tmp_path / f"s{n}", info, modality="CT")
        tags = ClassTagSet(["dark", "bright"], 6, image_tags={0: "dark", 1: "dark"})
        tags.set(4, "bright")
        tags.set(5, "bright")
        uid = info.series_instance_uid
        work = SeriesWork(
            uid, uid, source_paths=[str(tmp_path / f"s{n}")],
            annotations=SeriesAnnotations(tags=tags).to_json(),
        )  # fmt: skip
        workspace.save_series(work)
        keys.append(uid)
    return workspace, keys


def test_workspace_untagged_slices_and_added_synthetic_images(tmp_path):
    from medgui.core.workspace.synthetic import add_synthetic, synthetic_images
    from medgui.ml.classification.unlabelled import untagged_slices

    workspace, keys = _tagged_workspace(tmp_path / "ws", tmp_path)
    unlabelled = untagged_slices(workspace, keys)
    assert sorted((r.series, r.frame) for r in unlabelled.collect()[0]) == sorted(
        (key, k) for key in keys for k in (2, 3)
    )
    written = add_synthetic(workspace.root, "dark", [np.full((16, 16), 9, np.uint8)] * 2)
    assert list(synthetic_images(workspace.root)) == ["dark"] and len(written) == 2
    split = get_task("classify").make_split(
        _config("fixmatch", val_split=0.5), {"source": workspace, "unlabelled": unlabelled}
    )
    info = split.info
    assert (info["labelled_images"], info["unlabelled_images"], info["synthetic_images"]) == (
        8, 4, 2,
    )  # fmt: skip
    assert all(g.startswith("patient:") for g in split.val_ids)  # generated images never validate
    (x, u), y = split.train[0]
    assert x.shape == u.shape == (1, 16, 16)
