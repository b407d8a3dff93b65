"""A layer drawn over one `SliceView` that redraws lazily: requests coalesce on a zero timer,
and a pending redraw is drawn just before the view paints, so it never shows stale pixels."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer


class LazyViewLayer(QObject):
    """Base of the label and proposal overlays; subclasses implement `render()`."""

    def __init__(self, view) -> None:
        super().__init__(view)
        self._view = view
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.render)
        view.graphics.viewport().installEventFilter(self)

    def render(self) -> None:
        raise NotImplementedError

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.flush()  # the view is about to paint: never show stale pixels
        return False

    def request(self, *_args) -> None:
        """Redraw on the next pass of the event loop (requests in between coalesce)."""
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Draw a pending redraw now."""
        if self._timer.isActive():
            self.render()
