"""Semi-supervised training in the window: two tagged CT series (two patients), the GAN method
learning from the untagged slices of the series on show; the dock draws the D/G losses, the
validation accuracy and the sample grid after each epoch; the gallery draws images per class
and adds ticked ones to training as synthetic images."""

from __future__ import annotations

import json

import numpy as np
import pytest
from label_testing import ALT, K, ScriptedDialogs, open_labelled
from PySide6.QtCore import Qt
from training_testing import LEFT, TRAIN_TIMEOUT_MS

from medgui.core import Volume
from medgui.core.deid.synthetic import is_synthetic_file
from medgui.core.dicom.write import SeriesInfo, write_dicom_series
from medgui.core.workspace.synthetic import synthetic_images

pytest.importorskip("torch")


def _series(folder, patient_id: str, seed: int):
    """12 CT slices of 24 × 24: 0-5 a dark disc, 6-11 a bright one."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:24, :24]
    disc = (y - 12) ** 2 + (x - 12) ** 2 < 7**2
    array = np.full((12, 24, 24), -1000, np.int16)
    for k in range(12):
        array[k][disc] = 20 if k < 6 else 400
    array += rng.integers(-5, 5, array.shape, dtype=np.int16)
    info = SeriesInfo(patient_name=f"Semi^{patient_id}", patient_id=patient_id)
    volume = Volume(array, spacing_mm=(1.0, 1.0, 3.0), metadata={"Modality": "CT"})
    write_dicom_series(volume, folder, info=info)
    return folder


def _tag(qtbot, lab) -> None:
    """Alt+1 on slices 0-1 ("normal"), Alt+2 on 6-7 ("abnormal"): 8 slices stay untagged."""
    lab.state.set_slice(lab.plane, 0)
    for _ in range(2):
        qtbot.keyClick(lab.view, K.Key_1, ALT)
    lab.state.set_slice(lab.plane, 6)
    for _ in range(2):
        qtbot.keyClick(lab.view, K.Key_2, ALT)
    assert len(lab.session.tags.image_tags) == 4


@pytest.mark.slow
def test_gan_training_panel_samples_and_gallery(qtbot, window, wait_idle, tmp_path, artifacts):
    assert window.labels.set_workspace(tmp_path / "workspace")
    dialogs = ScriptedDialogs()
    lab = open_labelled(qtbot, window, _series(tmp_path / "p1", "SEMI-1", 1), wait_idle, dialogs)
    _tag(qtbot, lab)
    saved = []
    window.labels.autosave.saved.connect(lambda key, explicit, _f: saved.append((key, explicit)))
    window.labels.actions.actions["save_labels"].trigger()
    qtbot.waitUntil(lambda: (lab.session.key, True) in saved, timeout=10_000)
    lab = open_labelled(qtbot, window, _series(tmp_path / "p2", "SEMI-2", 2), wait_idle, dialogs)
    _tag(qtbot, lab)

    training = window.training
    panel, semi = training.panel, training.panel.semi
    window.menu_actions["training_dock"].trigger()
    assert not semi.isVisible()  # segmentation: no method to choose
    panel.task.setCurrentIndex(panel.task.findData("classify"))
    assert semi.isVisible() and not semi.plot.isVisible()
    semi.method.setCurrentIndex(semi.method.findData("gan"))
    assert semi.plot.isVisible() and semi.source.currentData() == "series"
    panel.epochs.setValue(3)
    panel.batch_size.setValue(4)
    panel.options.setText('{"size": 16}')
    grids = []
    shown = panel.on_samples_drawn

    def spy(event) -> None:
        shown(event)
        grids.append((event.epoch, semi.samples.pixmap().isNull()))

    panel.on_samples_drawn = spy
    qtbot.mouseClick(panel.start_button, LEFT)
    assert training.training
    qtbot.waitUntil(lambda: not training.training, timeout=TRAIN_TIMEOUT_MS)
    log = panel.log.toPlainText()
    assert "training failed" not in log, log
    assert grids == [(1, False), (2, False), (3, False)]  # a fresh grid after every epoch
    assert semi.curve_points() == {"d_loss": 3, "g_loss": 3, "accuracy": 3}
    assert semi.grid.shape == (2 * 17 + 1, 8 * 17 + 1)  # two classes of 8 samples, 16 px
    card = json.loads(
        (training.workspace_root / "models" / "classify" / "v1" / "card.json").read_text()
    )
    assert card["extra"]["semi_supervised"] == {
        "method": "gan", "labelled_images": 8, "unlabelled_images": 8, "synthetic_images": 0,
    }  # fmt: skip
    assert semi.samples.height() >= semi.samples.pixmap().height()  # drawn whole in the dock
    panel.grab().save(str(artifacts / "semi_supervised_training.png"))

    # The gallery: images per class, two ticked and added to training, marked synthetic.
    qtbot.mouseClick(semi.gallery_button, LEFT)
    dialog = training.gallery.dialog
    qtbot.waitUntil(lambda: dialog.list.count() > 0, timeout=60_000)
    assert dialog.class_box.count() == 2 and "synthetic images of" in dialog.status.text()
    for row in (0, 1):
        dialog.list.item(row).setCheckState(Qt.CheckState.Checked)
    dialog.grab().save(str(artifacts / "semi_supervised_gallery.png"))
    qtbot.mouseClick(dialog.add_button, LEFT)
    qtbot.waitUntil(lambda: "added 2 synthetic images" in panel.log.toPlainText(), timeout=10_000)
    (files,) = synthetic_images(training.workspace_root).values()
    assert len(files) == 2 and all(is_synthetic_file(f) for f in files)
    dialog.close()
