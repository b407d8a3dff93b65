"""Issue 13, reading: the Qt-free rules behind the viewer's overlay."""

from __future__ import annotations

from medgui.core.windowing import CT_PRESETS, WindowLevel, preset_name


def test_a_ct_window_equal_to_a_preset_is_named_after_it():
    assert preset_name(CT_PRESETS["abdomen"], "CT") == "Abdomen"
    assert preset_name(WindowLevel(-600, 1500), "ct") == "Lung"
    assert preset_name(WindowLevel(41, 400), "CT") is None
    assert preset_name(CT_PRESETS["abdomen"], "MR") is None  # HU windows mean nothing on MR
