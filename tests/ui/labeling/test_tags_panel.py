"""Classification tags on the real window: tag-and-advance keys, next untagged, the series tag
and the class list editor."""

from __future__ import annotations

from label_testing import (
    ALT,
    K,
)
from PySide6.QtWidgets import QListWidgetItem

from medgui.core.image.reformat import plane_for_axis


def _image(lab) -> int:
    return lab.state.slice_index(plane_for_axis(lab.session.volume, 2))


def test_alt_number_tags_the_image_and_advances(qtbot, lab):
    view, session, state = lab.view, lab.session, lab.state
    state.set_slice(lab.plane, 3)
    qtbot.keyClick(view, K.Key_1, ALT)
    tags = session.annotations.tags
    assert tags.classes == ["normal", "abnormal"]
    assert tags.get(3) == "normal"
    assert _image(lab) == 4
    qtbot.keyClick(view, K.Key_2, ALT)
    assert tags.get(4) == "abnormal" and _image(lab) == 5
    # Back on a tagged image, tagging moves on to the next untagged one.
    state.set_slice(lab.plane, 2)
    qtbot.keyClick(view, K.Key_2, ALT)
    assert tags.get(2) == "abnormal" and _image(lab) == 5
    qtbot.keyClick(view, K.Key_3, ALT)  # no third class: no key
    assert _image(lab) == 5 and tags.get(5) is None
    state.set_slice(lab.plane, 4)
    qtbot.keyClick(view, K.Key_0, ALT)  # clear
    assert tags.get(4) is None
    state.set_slice(lab.plane, 1)
    qtbot.keyClick(view, K.Key_U, ALT)  # next untagged after 1: 4
    assert _image(lab) == 4
    panel = lab.bench.tags_panel
    assert panel.image_label.text() == f"5 / {tags.n_images}: untagged"
    assert panel.counts.text() == f"normal: 1, abnormal: 1, untagged: {tags.n_images - 2}"


def test_the_series_tag_and_the_class_list(qtbot, lab, dialogs):
    panel, session = lab.bench.tags_panel, lab.session
    panel.series_tag.setCurrentText("abnormal")
    assert session.annotations.tags.series_tag == "abnormal"
    lab.state.set_slice(lab.plane, 0)
    qtbot.keyClick(lab.view, K.Key_1, ALT)  # image 0: normal

    # Renaming a class keeps its tags; adding one gives it a key; removing drops its tags.
    item: QListWidgetItem = panel.class_list.item(0)
    item.setText("healthy")
    tags = session.annotations.tags
    assert tags.classes == ["healthy", "abnormal"] and tags.get(0) == "healthy"
    assert lab.bench.actions.actions["tag_1"].text() == "Tag image as 'healthy'"
    panel._add_class()
    assert session.annotations.tags.classes == ["healthy", "abnormal", "class 3"]
    assert lab.bench.actions.actions["tag_3"].isVisible()
    panel.class_list.setCurrentRow(1)
    panel._remove_class()
    tags = session.annotations.tags
    assert tags.classes == ["healthy", "class 3"] and tags.series_tag is None
    # A duplicate name is refused with a message, and the list shows the model again.
    panel.class_list.item(1).setText("healthy")
    assert dialogs.warnings and "unique" in dialogs.warnings[-1][1]
    assert panel.class_list.item(1).text() == "class 3"
