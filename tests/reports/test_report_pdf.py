"""The report end to end: planted work -> Report -> PDF and HTML; the PDF's text (pdftotext)
holds the planted numbers, its pages render (pdftoppm) and have the asked-for size (pdfinfo)."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from report_testing import poppler

from medgui.core.workspace.audit import AuditLog
from medgui.reports.build import build_report, pseudonym
from medgui.reports.html import render_html
from medgui.reports.model_section import ModelRun
from medgui.reports.write import write_report

ARTIFACTS = Path(__file__).parent / "artifacts"


def _pdf_text(path: Path) -> str:
    # -layout keeps table rows on one line; whitespace is squeezed for simple matching.
    return re.sub(r"[ \t]+", " ", poppler("pdftotext", "-layout", str(path), "-"))


@pytest.fixture
def report(planted, card):
    heat = np.zeros((64, 64), np.float32)
    heat[28:36, 36:44] = 1.0
    run = ModelRun("classify", {"normal": 0.1877, "lesion": 0.8123}, slice_index=5, heat_map=heat)
    return build_report(
        planted.volume,
        planted.work,
        cards=[card],
        runs=[run],
        findings="A lesion ≥ 6 mm (± 1 mm) in the right lobe.",
        impression="Probably benign.",
    )


def test_pdf_text_holds_the_planted_numbers(report, tmp_path):
    path = write_report(report, tmp_path / "report.pdf", workspace_root=tmp_path, series="s1")
    text = _pdf_text(path)
    assert "For research use only — not for clinical diagnosis" in text
    assert "Doe Jane" in text and "PID-4711" in text and "1961-02-03" in text
    assert "32.0 mm" in text  # the ruler
    assert "90.0°" in text  # the angle
    assert re.search(r"mean 100\.0, SD 0\.0", text)  # the ROI over the 100 HU cube
    assert re.search(r"Liver 2400 3\.84 60\.0", text)  # voxels, ml, mean HU
    assert re.search(r"Lesion 256 0\.41 100\.0", text)
    assert "classify v3 (small_cnn)" in text
    assert re.search(r"val_accuracy 0\.9375", text) and re.search(r"val_auc 0\.8765", text)
    assert re.search(r"lesion 0\.812", text) and re.search(r"normal 0\.188", text)
    assert "A lesion ≥ 6 mm (± 1 mm) in the right lobe." in text and "Probably benign." in text
    assert "Axial slice 6 of 12, z = 22.5 mm" in text  # origin z 10 + 5 x 2.5
    assert "medgui 0." in text
    entry = AuditLog(tmp_path).read().entries[-1]
    assert entry.action == "report_written" and entry.details["format"] == "pdf"
    assert entry.details["path"] == str(path.resolve()) and entry.details["series"] == "s1"


def test_pdf_pages_render_and_embed_images(report, tmp_path):
    path = write_report(report, tmp_path / "report.pdf")
    ARTIFACTS.mkdir(exist_ok=True)
    prefix = ARTIFACTS / "report_page"
    poppler("pdftoppm", "-png", "-r", "60", str(path), str(prefix))
    pages = sorted(ARTIFACTS.glob("report_page-*.png"))
    assert pages, "pdftoppm rendered no page"
    first = np.asarray(Image.open(pages[0]).convert("RGB"))
    assert (first < 128).any() and (first > 200).any()  # text on white, not a blank page
    listing = poppler("pdfimages", "-list", str(path))
    # Two key images and the Grad-CAM map, embedded as images (not drawn as vectors).
    assert len(listing.strip().splitlines()) - 2 >= 3
    fonts = poppler("pdffonts", str(path)).strip().splitlines()[2:]
    assert fonts and all("TrueType" in line and " yes " in line for line in fonts)  # embedded


@pytest.mark.parametrize(("size", "points"), [("A4", "595.276 x 841.89"), ("Letter", "612 x 792")])
def test_page_sizes(report, tmp_path, size, points):
    path = write_report(report, tmp_path / f"{size}.pdf", size=size)
    assert re.search(rf"Page size:\s+{points} pts", poppler("pdfinfo", str(path)))


def test_html_is_self_contained_and_escapes_user_text(report, tmp_path):
    report.findings = 'Lesion <script>alert("x")</script> & "more"'
    path = write_report(report, tmp_path / "report.html")
    html = path.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; &quot;more&quot;" in html
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:)""", html)
    assert "<link" not in html and "@import" not in html
    assert html.count('src="data:image/png;base64,') == 3
    assert "32.0 mm" in html and "0.8765" in html and "For research use only" in html


def test_pseudonymised_report_hides_the_patient(planted, tmp_path):
    report = build_report(planted.volume, planted.work, pseudonymise=True)
    alias = pseudonym(planted.volume.metadata)
    assert alias.startswith("ANON-") and alias == pseudonym(dict(planted.volume.metadata))
    assert alias != pseudonym(planted.volume.metadata, salt="site secret")
    text = _pdf_text(write_report(report, tmp_path / "anon.pdf"))
    html = render_html(report)
    for secret in ("Doe", "PID-4711", "1961", "ACC-99", planted.work.uid):
        assert secret not in text and secret not in html
    assert alias in text and alias in html


def test_draft_text_is_the_default(planted):
    report = build_report(planted.volume, planted.work)
    assert report.findings == "Draft findings <kept>." and report.impression == "Draft impression."


def test_bad_output_names_are_refused(report, tmp_path):
    with pytest.raises(ValueError, match="as .pdf or .html"):
        write_report(report, tmp_path / "report.docx")
    with pytest.raises(ValueError, match="page size"):
        write_report(report, tmp_path / "report.pdf", size="A3")
    with pytest.raises(ValueError, match="does not exist"):
        write_report(report, tmp_path / "missing" / "report.pdf")
    assert not list(tmp_path.glob("report.*"))


def test_every_measurement_kind_on_a_key_image(planted, tmp_path):
    """Ruler, angle, ellipse and rectangle on the key image's slice, with labels: the report
    draws them all and is written as PDF and as HTML (a rectangle used to stop the report)."""
    report = build_report(planted.volume, planted.work)
    kinds = [row[2] for row in report.measurements.rows]
    assert kinds == ["ruler", "angle", "ellipse", "rectangle"]
    rectangle = report.measurements.rows[3]
    assert rectangle[1] == "liver box" and rectangle[4] == "64.0 mm²"
    assert rectangle[5].startswith("mean 60.0, SD 0.0")  # inside the 60 HU liver
    first = np.asarray(Image.open(io.BytesIO(report.key_images[0].png)).convert("RGB"))
    # The rectangle's left edge (slice column 12.5) is drawn in the measurement yellow.
    scale = first.shape[1] / 64
    edge = first[int(40 * scale), int(13 * scale) - 1 : int(13 * scale) + 2]
    assert any(p[0] > 200 and p[1] > 180 and p[2] < 80 for p in edge)
    pdf = write_report(report, tmp_path / "all.pdf")
    html = write_report(report, tmp_path / "all.html").read_text(encoding="utf-8")
    assert pdf.read_bytes().startswith(b"%PDF") and "liver box" in html and "64.0 mm²" in html
    assert "Liver" in html and "Lesion" in html
    if shutil.which("pdftotext"):  # the PDF's own text, where poppler is installed
        text = _pdf_text(pdf)
        assert "liver box" in text and "64.0 mm²" in text
