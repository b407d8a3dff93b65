"""The archive dock's node section: the saved nodes, the one being edited, our AE title.

The form edits an `ArchiveSettings` (core); the workbench writes it to disk on `saved`. The
password or token field is kept for the session only: `Node.to_json` never writes it.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from medgui.core.net.nodes import AUTH_KINDS, ArchiveSettings, Node, check_ae_title, parse_address

METHODS = {"C-GET": "get", "C-MOVE (to our storage port)": "move"}
_NEW = "(new node)"


class NodeForm(QGroupBox):
    """Choose, edit, save, remove and verify a node; `saved` after `settings` changed,
    `problem(text)` when what the form says cannot be saved."""

    saved = Signal()
    verify_requested = Signal()
    problem = Signal(str)

    def __init__(self, settings: ArchiveSettings, parent: QWidget | None = None) -> None:
        super().__init__("Archive node", parent)
        self.settings = settings
        self.choice = QComboBox(self)
        self.name = QLineEdit(self)
        self.address = QLineEdit(self)
        self.address.setPlaceholderText("dicom://AET@host:104  or  https://host/dicom-web")
        self.ca_file = QLineEdit(self)
        self.ca_file.setPlaceholderText("the system's certificates")
        self.auth = QComboBox(self)
        self.auth.addItems(AUTH_KINDS)
        self.username = QLineEdit(self)
        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("kept for this session only")
        self.calling_ae = QLineEdit(settings.calling_ae, self)
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setValue(settings.listener_port)
        self.method = QComboBox(self)
        self.method.addItems(list(METHODS))
        self.listen = QCheckBox("Receive on our storage port while medgui runs", self)
        self.listen.setToolTip(
            "A storage SCP (off by default): studies an archive or a modality sends to our AE "
            "title land in the local store and show in the series browser"
        )
        self.save_button = QPushButton("Save", self)
        self.remove_button = QPushButton("Remove", self)
        self.verify_button = QPushButton("Verify", self)
        self.verify_button.setToolTip("C-ECHO, or a one-study search for DICOMweb")
        form = QFormLayout(self)
        form.addRow("Node", self.choice)
        form.addRow("Name", self.name)
        form.addRow("Address", self.address)
        form.addRow("CA file", self.ca_file)
        login = QHBoxLayout()
        for widget in (self.auth, self.username, self.secret):
            login.addWidget(widget)
        form.addRow("Login", login)
        form.addRow("Our AE title", self.calling_ae)
        form.addRow("Our storage port", self.port)
        form.addRow("Retrieve by", self.method)
        form.addRow(self.listen)
        buttons = QHBoxLayout()
        for button in (self.save_button, self.remove_button, self.verify_button):
            buttons.addWidget(button)
        form.addRow(buttons)
        self.choice.currentTextChanged.connect(self._show)
        self.save_button.clicked.connect(self._save_clicked)
        self.remove_button.clicked.connect(self.remove)
        self.verify_button.clicked.connect(self.verify_requested)
        self._fill()

    def _fill(self, current: str = "") -> None:
        self.choice.blockSignals(True)
        self.choice.clear()
        self.choice.addItems([n.name for n in self.settings.nodes] + [_NEW])
        self.choice.blockSignals(False)
        index = self.choice.findText(current)
        self.choice.setCurrentIndex(index if index >= 0 else 0)
        self._show(self.choice.currentText())

    def _show(self, name: str) -> None:
        node = next((n for n in self.settings.nodes if n.name == name), None)
        node = node or Node("")
        self.name.setText(node.name)
        self.address.setText(node.address if node.name else "")
        self.ca_file.setText(node.ca_file)
        self.auth.setCurrentText(node.auth)
        self.username.setText(node.username)
        self.secret.clear()

    def node(self) -> Node:
        """The node the form describes, with the session's secret; ValueError saying what is
        wrong with it."""
        name = self.name.text().strip() or self.address.text().strip()
        node = parse_address(self.address.text(), name=name)
        return replace(
            node,
            ca_file=self.ca_file.text().strip(),
            auth=self.auth.currentText(),
            username=self.username.text().strip(),
            secret=self.secret.text(),
        ).validated()

    def our_ae_title(self) -> str:
        return check_ae_title(self.calling_ae.text(), "our AE title")

    def retrieve_method(self) -> str:
        return METHODS[self.method.currentText()]

    def save(self) -> None:
        """Put the form's node and our AE title and port into the settings (ValueError if
        either is invalid); `saved`."""
        node = self.node()
        self.settings.calling_ae = self.our_ae_title()
        self.settings.listener_port = self.port.value()
        self.settings.put(node)
        self._fill(node.name)
        self.saved.emit()

    def _save_clicked(self) -> None:
        try:
            self.save()
        except ValueError as error:
            self.problem.emit(f"Not saved: {error}")

    def remove(self) -> None:
        self.settings.remove(self.choice.currentText())
        self._fill()
        self.saved.emit()
