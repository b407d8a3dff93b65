"""Training in the window, shared by the training, model review and classifier tests."""

from __future__ import annotations

from PySide6.QtCore import Qt

# A network and window small enough that an epoch takes a second or two on a CPU.
TINY_OPTIONS = '{"patch_size": 64, "channels": [8, 16], "res_units": 1}'
TRAIN_TIMEOUT_MS = 180_000
LEFT = Qt.MouseButton.LeftButton


def panel_train(qtbot, training, epochs: int, validation: str = "none") -> None:
    panel = training.panel
    # The demo is one labelled series: it can only train without validation.
    panel.validation.setCurrentIndex(panel.validation.findData(validation))
    panel.epochs.setValue(epochs)
    panel.batch_size.setValue(16)
    panel.augment.setChecked(False)
    panel.options.setText(TINY_OPTIONS)
    qtbot.mouseClick(panel.start_button, LEFT)
    assert training.training


def classify_on_show(qtbot, classify, classes: list[str]):
    """Click "Classify this slice" and wait for the probabilities of `classes` (summing to 1)
    and the heat map over the axial view; returns the heat map's item."""
    qtbot.mouseClick(classify.panel.classify_button, LEFT)
    qtbot.waitUntil(lambda: classify.panel.table.rowCount() == len(classes), timeout=60_000)
    shown = classify.panel.probabilities()
    assert sorted(shown) == sorted(classes)
    assert abs(sum(shown.values()) - 1) <= 1e-3
    item = classify.item
    qtbot.waitUntil(lambda: item.isVisible(), timeout=10_000)
    assert (item.pixels >> 24).all()  # semi-transparent everywhere, never fully clear
    return item
