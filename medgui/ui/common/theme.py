"""The dark theme: Fusion style, a dark palette and a small stylesheet.

Reading rooms are dim and images are judged against a dark surround, so every workstation
viewer is dark; a light frame around a CT slice makes it look washed out.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory, QWidget

BACKGROUND = QColor(30, 31, 34)
BASE = QColor(22, 23, 25)
SURFACE = QColor(43, 45, 49)
TEXT = QColor(220, 222, 225)
DISABLED_TEXT = QColor(110, 112, 116)
ACCENT = QColor(62, 132, 220)
# A document preview (the report) looks as it prints: dark ink on white paper in any theme;
# the report's own colours (near-black text, dark red notice) are chosen for that page.
PAPER = QColor(255, 255, 255)
INK = QColor(17, 17, 17)
# Fusion outlines check boxes and radio buttons in the window colour darkened, which on this
# palette is all but black on near-black: an unchecked box could not be seen.
INDICATOR_EDGE = QColor(150, 153, 158)

_STYLESHEET = """
QToolTip { color: #dcdee1; background-color: #2b2d31; border: 1px solid #3e84dc; }
QDockWidget::title { background: #2b2d31; padding: 4px 6px; }
QTreeView, QTableView, QListView { alternate-background-color: #1d1e21; }
QHeaderView::section { background: #2b2d31; padding: 3px 6px; border: 0;
                       border-right: 1px solid #1e1f22; }
QStatusBar { border-top: 1px solid #2b2d31; }
QStatusBar QProgressBar { max-height: 14px; min-width: 160px; }
QMenu::separator { height: 1px; background: #3a3c41; margin: 4px 8px; }
"""


def dark_palette() -> QPalette:
    """The application palette: dark greys, light text, one blue accent."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: BACKGROUND,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE,
        QPalette.ColorRole.AlternateBase: SURFACE,
        QPalette.ColorRole.ToolTipBase: SURFACE,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: DISABLED_TEXT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: SURFACE,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: QColor(255, 90, 90),
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Light: QColor(70, 72, 77),
        QPalette.ColorRole.Midlight: QColor(55, 57, 62),
        QPalette.ColorRole.Mid: QColor(40, 41, 45),
        QPalette.ColorRole.Dark: QColor(18, 19, 21),
        QPalette.ColorRole.Shadow: QColor(0, 0, 0),
    }
    for role, color in roles.items():
        palette.setColor(role, color)
    disabled = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(disabled, role, DISABLED_TEXT)
    return palette


def show_as_paper(widget: QWidget) -> None:
    """Give `widget` (a text view showing a document) the paper's white and the ink's black."""
    palette = widget.palette()
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.Base, PAPER)
        palette.setColor(group, QPalette.ColorRole.Text, INK)
        palette.setColor(group, QPalette.ColorRole.WindowText, INK)
    widget.setPalette(palette)
class DarkStyle(QProxyStyle):
    """Fusion with check boxes and radio buttons outlined so that they show on dark grey."""

    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))

    def drawPrimitive(self, element, option, painter, widget=None) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element not in (
            QStyle.PrimitiveElement.PE_IndicatorCheckBox,
            QStyle.PrimitiveElement.PE_IndicatorRadioButton,
        ):
            return
        painter.save()
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        painter.setPen(QPen(INDICATOR_EDGE, 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        rect = option.rect.adjusted(1, 1, -1, -1)
        if element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            painter.drawEllipse(rect)
        else:
            painter.drawRoundedRect(rect, 2, 2)
        painter.restore()


def apply_dark_theme(app: QApplication) -> None:
    """Give `app` the Fusion style (the same on every OS), the dark palette and the stylesheet."""
    app.setStyle(DarkStyle())
    app.setPalette(dark_palette())
    app.setStyleSheet(_STYLESHEET)
