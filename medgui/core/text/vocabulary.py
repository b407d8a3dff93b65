"""The words the findings extractor knows: the CheXpert 14 observations with their synonyms,
the phrases that state an observation's absence outright ("heart size is normal"), the ConText
triggers (negation and uncertainty, before or after the finding; pseudo-triggers that look like
a negation but are not; terminators that end a trigger's scope), and the user's own terms.

Synonyms and triggers are regular-expression fragments, matched case-insensitively on word
bounds. They follow the rules of the CheXpert labeler, NegBio and NegEx/ConText as published
(negation and uncertainty cues, "rule out" and hedges such as "likely" as uncertain, "versus"
as uncertain on both sides, "no change" as a pseudo-negation); the wording is medgui's own.

The user's terms live in a plain text file, one finding a line::

    Nodule: pulmonary nodule, nodular opacity
    Pleural Effusion: hydrothorax

A line extends a known finding (matched by name, any case) or adds a new one; its terms are
matched literally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

NO_FINDING = "No Finding"
SUPPORT_DEVICES = "Support Devices"

# Finding → synonyms (regex fragments). Plurals are added by the matcher ("opacities" aside).
CHEXPERT_TERMS: dict[str, list[str]] = {
    NO_FINDING: [
        r"no acute (?:cardiopulmonary|intrathoracic|cardiothoracic|chest) "
        r"(?:process|abnormality|disease|findings?|pathology)",
        r"no acute (?:process|abnormality|disease|findings?)",
        r"no (?:active|significant) (?:cardiopulmonary |intrathoracic )?disease",
        r"normal chest(?: radiograph| x-?ray| film| study)?",
        r"unremarkable (?:chest )?(?:radiograph|study|examination|exam)",
        r"no radiographic abnormality",
    ],
    "Enlarged Cardiomediastinum": [
        r"(?:enlarged|widened|widening of the|prominent) (?:cardio)?mediastin(?:um|al silhouette"
        r"|al contours?)",
        r"mediastinal (?:widening|enlargement)",
        r"(?:cardio)?mediastinum is (?:enlarged|widened)",
        r"widened mediastinum",
    ],
    "Cardiomegaly": [
        r"cardiomegaly",
        r"(?:enlarged|large) (?:heart|cardiac silhouette)",
        r"cardiac enlargement",
        r"enlargement of the (?:heart|cardiac silhouette)",
        r"(?:heart|cardiac silhouette|heart size) is (?:mildly |moderately |markedly )?enlarged",
    ],
    "Lung Lesion": [
        r"(?:pulmonary |lung )?(?:nodule|mass)",
        r"(?:lung|pulmonary) lesion",
        r"nodular (?:density|densities|opacity|opacities)",
        r"cavitary lesion",
        r"neoplasm",
        r"tumou?r",
    ],
    "Lung Opacity": [
        r"(?:airspace |lung |pulmonary |parenchymal |interstitial |patchy |hazy )?"
        r"(?:opacity|opacities|opacification)",
        r"infiltrates?",
        r"(?:airspace |pulmonary )?(?:density|densities)",
        r"airspace disease",
        r"haziness",
        r"interstitial markings",
    ],
    "Edema": [
        r"(?:pulmonary |interstitial |alveolar )?edema",
        r"(?:pulmonary |vascular )?(?:vascular )?congestion",
        r"(?:heart|cardiac) failure",
        r"fluid overload",
        r"kerley b lines",
    ],
    "Consolidation": [r"consolidations?", r"consolidative (?:opacity|opacities|changes?)"],
    "Pneumonia": [r"pneumonias?", r"infection", r"infectious process", r"bronchopneumonia"],
    "Atelectasis": [r"atelectas[ie]s", r"atelectatic(?: changes?)?", r"collapse", r"volume loss"],
    "Pneumothorax": [r"pneumothora(?:x|ces)", r"ptx"],
    "Pleural Effusion": [
        r"(?:pleural )?effusions?",
        r"pleural fluid",
        r"hydrothorax",
        r"blunting of the (?:right |left |bilateral )?(?:costophrenic|cp) angles?",
        r"(?:costophrenic|cp) angle blunting",
    ],
    "Pleural Other": [
        r"pleural (?:thickening|plaques?|scarring|calcification)",
        r"fibrothorax",
        r"pleural-parenchymal scarring",
    ],
    "Fracture": [r"fractures?", r"fx"],
    SUPPORT_DEVICES: [
        r"(?:endotracheal|et|nasogastric|ng|orogastric|og|chest|feeding|enteric) tube",
        r"(?:central venous|picc|central|arterial|midline|venous) (?:line|catheter)",
        r"catheter",
        r"picc",
        r"pacemaker",
        r"(?:pacer|pacing) (?:wires?|leads?)",
        r"(?:icd|defibrillator)",
        r"sternotomy wires?",
        r"(?:vascular |biliary )?stents?",
        r"port-?a-?cath|(?:chest )?port",
        r"swan-?ganz catheter",
        r"drains?",
    ],
}

# Mentions that are never a CheXpert finding, so that "pericardial effusion" is not a pleural
# effusion and "line of the diaphragm" no device: matched, then dropped.
IGNORED_TERMS = [
    r"pericardial effusion",
    r"joint effusion",
    r"pleural line",
    r"skin fold",
    r"(?:degenerative|healed|old) (?:changes?|fractures?)",
]

# Phrases that state a finding's absence themselves (the negation sits inside the finding).
ABSENT_TERMS: dict[str, list[str]] = {
    "Cardiomegaly": [
        r"(?:heart|cardiac) size (?:is )?(?:normal|within normal limits|not enlarged)",
        r"normal (?:heart|cardiac) size",
        r"(?:heart|cardiac silhouette) is (?:not enlarged|normal in size)",
        r"normal(?:-sized)? (?:heart|cardiac silhouette)",
    ],
    "Enlarged Cardiomediastinum": [
        r"(?:cardio)?mediastinal (?:silhouette|contours?) (?:is |are )?(?:normal|within normal "
        r"limits|unremarkable)",
        r"normal (?:cardio)?mediastinal (?:silhouette|contours?)",
        r"mediastinum is (?:normal|not widened)",
    ],
    "Lung Opacity": [r"lungs are clear", r"clear lungs"],
}

NEGATION_BEFORE = [
    r"no",
    r"not",
    r"without",
    r"nor",
    r"neither",
    r"absence of",
    r"absent",
    r"negative for",
    r"free of",
    r"clear of",
    r"no (?:evidence|signs?|findings?|radiographic evidence) "
    r"(?:of|to suggest|for|suggesting)",
    r"without (?:evidence|signs?) of",
    r"no definite",
    r"no longer",
    r"resolution of",
    r"interval resolution of",
    r"removal of",
    r"interval removal of",
    r"there is no",
    r"there are no",
    r"rules? out for",
    r"unlikely",
]
NEGATION_AFTER = [
    r"(?:is|are|has been|have been)? ?(?:absent|resolved|removed)",
    r"(?:is|are|was|were)? ?not (?:seen|identified|present|visualized|appreciated|demonstrated)",
    r"(?:has|have) (?:resolved|cleared)",
    r"(?:is|was|has been|have been) ruled out",
    r"(?:is|are) no longer (?:seen|present|visualized)",
    r"(?:is|are)? ?unlikely",
]
UNCERTAIN_BEFORE = [
    r"possible",
    r"possibly",
    r"probable",
    r"probably",
    r"likely",
    r"may (?:be|represent|reflect)",
    r"might (?:be|represent)",
    r"could (?:be|represent|reflect)",
    r"cannot (?:exclude|rule out)",
    r"can ?not (?:exclude|rule out)",
    r"can't (?:exclude|rule out)",
    r"questionable",
    r"question of",
    r"suspicious for",
    r"suspected",
    r"suspect",
    r"concerning for",
    r"concern for",
    r"suggestive of",
    r"suggests?",
    r"suggesting",
    r"rule out",
    r"r/o",
    r"to evaluate for",
    r"evaluate for",
    r"differential (?:diagnosis )?(?:includes?|of)",
    r"borderline",
    r"equivocal",
    r"indeterminate",
    r"versus",
    r"vs\.?",
    r"\?",
    r"either",
    r"may",
    r"perhaps",
]
UNCERTAIN_AFTER = [
    r"(?:is|are)? ?(?:not|cannot be|can ?not be|could not be) (?:excluded|ruled out)",
    r"(?:is|are) (?:possible|questioned|suspected|likely|not excluded)",
    r"versus",
    r"vs\.?",
    r"\?",
    r"(?:is|are) (?:a )?consideration",
]
# Look like a negation or a hedge but modify nothing here ("no change in the effusion").
PSEUDO_TRIGGERS = [
    r"no (?:significant |interval |appreciable )?(?:change|increase|decrease|progression)",
    r"not only",
    r"without (?:significant |interval )?change",
    r"gram negative",
    r"no new or increased",
    r"not (?:significantly )?changed",
    r"unchanged",
]
# A trigger's scope ends at these (and at the sentence's end).
TERMINATORS = [
    r"but",
    r"however",
    r"although",
    r"though",
    r"yet",
    r"except(?: for)?",
    r"aside from",
    r"apart from",
    r"which",
    r"whereas",
    r"while",
    r"nevertheless",
    r"still",
    r"there (?:is|are)",
    r"with the exception of",
    r"otherwise",
    r"in addition",
    r"additionally",
    r"also",
    r"consistent with",
    r"compatible with",
    r"cause of",
    r"source of",
    r"etiology of",
]


@dataclass
class Vocabulary:
    """Findings and their synonyms; `absent` phrases; `user` marks the user's own findings."""

    terms: dict[str, list[str]] = field(default_factory=dict)
    absent: dict[str, list[str]] = field(default_factory=dict)
    user_findings: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[str]:
        """Every finding name, the CheXpert 14 first."""
        return list(self.terms)


def chexpert_vocabulary() -> Vocabulary:
    """The CheXpert 14 with medgui's synonyms."""
    return Vocabulary(
        {name: list(terms) for name, terms in CHEXPERT_TERMS.items()},
        {name: list(terms) for name, terms in ABSENT_TERMS.items()},
    )


def parse_user_terms(text: str, source: str = "vocabulary") -> dict[str, list[str]]:
    """{finding: [terms]} from the lines of a user vocabulary (see the module docstring);
    ValueError naming `source` and the line for a line without "name: terms"."""
    found: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, colon, rest = line.partition(":")
        terms = [t.strip() for t in rest.split(",") if t.strip()]
        if not colon or not name.strip() or not terms:
            raise ValueError(
                f"{source}, line {number}: expected 'Finding: term, term', got {line!r}"
            )
        found.setdefault(name.strip(), []).extend(terms)
    return found


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """The CheXpert vocabulary extended with the user's terms in `path` (when it exists);
    ValueError naming the file for a bad line or an undecodable file."""
    vocabulary = chexpert_vocabulary()
    if path is None or not Path(path).is_file():
        return vocabulary
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text ({error.reason})") from error
    known = {name.lower(): name for name in vocabulary.terms}
    for name, terms in parse_user_terms(text, str(path)).items():
        target = known.get(name.lower(), name)
        if target not in vocabulary.terms:
            vocabulary.terms[target] = []
            vocabulary.user_findings.append(target)
        vocabulary.terms[target] += [re.escape(term.lower()) for term in terms]
    return vocabulary
