"""Tag series from reports, for the whole workspace: every saved series whose study has
reports gets the class tag its reports give one finding (`reports.report_class`), marked as
coming from the report, unless the user tagged it by hand or overrode an earlier report tag.

A series' study (UID, accession number, patient and date) and its number of images are read
from the headers of its source files (a scan, which the study index makes quick); a series
saved from a NIfTI/NRRD file names no study and is listed as such.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from medgui.core.annotations.model import ClassTagSet, SeriesAnnotations
from medgui.core.io.scan import Series, scan
from medgui.core.text.findings import aggregate
from medgui.core.text.report import StudyRef
from medgui.core.workspace.reports import ReportStore, report_class, tag_origin
from medgui.core.workspace.store import SeriesWork, Workspace


@dataclass
class ReportTagRun:
    """What `tag_workspace_series` did, by series key: tagged (with the class), kept (the
    user's tag stays), without a tag (no report, or the finding not stated), and problems."""

    tagged: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    untagged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """A summary line, then one per problem."""
        head = (
            f"{len(self.tagged)} series tagged from reports, {len(self.kept)} kept the user's "
            f"tag, {len(self.untagged)} without a tag from their reports"
        )
        return [head, *self.problems]


def series_study(work: SeriesWork) -> tuple[StudyRef, int]:
    """The study and the number of images of a saved series, from its source files;
    ValueError naming the series when they cannot be found."""
    for source in map(Path, work.source_paths):
        if not source.exists():
            continue
        found = [s for s in scan(source).image_series if s.uid in (work.uid, work.key)]
        if found and found[0].format == "dicom" and found[0].instances:
            return _study(found[0])
    name = work.description or work.key
    raise ValueError(f"series {name}: no DICOM header names its study (images not found)")


def _study(series: Series) -> tuple[StudyRef, int]:
    first = series.instances[0]
    study = StudyRef(series.study_uid, first.accession_number, series.patient_id,
                     series.study_date)  # fmt: skip
    frames = sum(max(1, i.number_of_frames) for i in series.instances)
    return study, frames


def tag_workspace_series(
    root: str | Path,
    finding: str,
    uncertain: str = "ignore",
    skip: Iterable[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> ReportTagRun:
    """Tag every saved series of the workspace at `root` (but those in `skip`: the series on
    show, which its session tags) with `finding` from its study's reports; each tagged series
    is saved (explicitly). One series that fails never stops the rest."""
    workspace, store = Workspace(root), ReportStore(root)
    reports, problems = store.load()
    run = ReportTagRun(problems=list(problems))
    extractor = store.extractor
    mentions = {r.report_id: extractor.mentions(r.text) for r in reports}
    keys = [k for k in workspace.series_keys() if k not in set(skip)]
    for done, key in enumerate(keys, 1):
        try:
            work = workspace.load_series(key)
            study, n_images = series_study(work)
            mine = [r for r in reports if r.study.matches(study)]
            found = aggregate([m for r in mine for m in mentions[r.report_id]],
                              extractor.vocabulary.findings)  # fmt: skip
            decided = report_class(found, finding, uncertain)
            if decided is None:
                run.untagged.append(key)
                continue
            name, classes, why = decided
            notes = SeriesAnnotations.from_json(work.annotations or {})
            tags = notes.tags or ClassTagSet(classes, n_images)
            tags.classes = [*tags.classes, *(c for c in classes if c not in tags.classes)]
            if not tags.set_from_report(None, name, tag_origin(why, [r.report_id for r in mine])):
                run.kept.append(key)
                continue
            notes.tags = tags
            work.annotations = notes.to_json()
            workspace.save_series(work)
            run.tagged[key] = name
        except (ValueError, OSError) as error:
            run.problems.append(f"series {key}: {error}")
        finally:
            if progress:
                progress(done, len(keys))
    return run
