"""Generated chest-radiograph reports with the CheXpert 14 labels, for tests and the benchmark.

No report corpus ships in any installed package and nothing may be downloaded, so the text is
written here: how radiologists phrase each finding (several templates each, with side, size and
lobe), the ways they deny one ("no", "without", "negative for", a list under one "no", "has
resolved", "has been removed"), hedge ("may represent", "cannot exclude": not a positive
label), compare with a prior, an indication that names a finding the report then rules out,
normal boilerplate, abbreviations and typos, and a little label noise. A label is a positive
(definite) mention; "No Finding" is set when no pathology is positive or uncertain (support
devices aside), as the CheXpert labeler does.

What makes it hard for a bag of words: every finding's words occur far more often negated,
hedged or in the indication than affirmed, and negation reaches across lists ("no effusion,
consolidation or pneumothorax"), so only the context decides.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

LABELS = (
    "No Finding",
    "Enlarged Cardiomediastinum",
    "Cardiomegaly",
    "Lung Lesion",
    "Lung Opacity",
    "Edema",
    "Consolidation",
    "Pneumonia",
    "Atelectasis",
    "Pneumothorax",
    "Pleural Effusion",
    "Pleural Other",
    "Fracture",
    "Support Devices",
)

# How often each finding is present (affirmed or hedged) in a report: a portable-film ICU mix.
PREVALENCE = {
    "Support Devices": 0.30,
    "Pleural Effusion": 0.24,
    "Lung Opacity": 0.18,
    "Atelectasis": 0.16,
    "Cardiomegaly": 0.14,
    "Edema": 0.12,
    "Pneumothorax": 0.08,
    "Consolidation": 0.08,
    "Pneumonia": 0.07,
    "Enlarged Cardiomediastinum": 0.05,
    "Lung Lesion": 0.05,
    "Fracture": 0.05,
    "Pleural Other": 0.03,
}

SIDES = ["right", "left", "bilateral", "R", "L", "b/l", "right-sided", "left-sided"]
SIZES = ["small", "moderate", "large", "trace", "tiny", "moderate-sized", "small to moderate"]
LOBES = [
    "right lower lobe", "left lower lobe", "right middle lobe", "lingula", "right upper lobe",
    "left upper lobe", "RLL", "LLL", "RUL", "left base", "right base", "retrocardiac region",
]  # fmt: skip
DEGREE = ["mild", "moderate", "severe", "minimal", "marked"]

# Affirmed phrases per finding ({side}, {size}, {lobe}, {degree}, {cm} filled at random).
POSITIVE = {
    "Pleural Effusion": [
        "{size} {side} pleural effusion", "{side} pleural effusion", "{size} {side} effusion",
        "blunting of the {side} costophrenic angle consistent with {size} effusion",
        "layering {side} pleural effusion", "{size} {side} pleural fluid",
        "{side} effusions, {size}", "persistent {size} {side} pleural effusion",
    ],
    "Pneumothorax": [
        "{size} {side} pneumothorax", "{side} apical pneumothorax", "{size} {side} PTX",
        "{side} pneumothorax measuring {cm} cm at the apex", "{size} {side} basilar pneumothorax",
        "a {size} {side} apical pneumothorax, slightly larger",
    ],
    "Cardiomegaly": [
        "{degree} cardiomegaly", "the heart is enlarged", "enlarged cardiac silhouette",
        "{degree} enlargement of the cardiac silhouette", "cardiomegaly",
        "the cardiac silhouette is {degree}ly enlarged",
    ],
    "Enlarged Cardiomediastinum": [
        "widening of the mediastinum", "the cardiomediastinal silhouette is widened",
        "{degree} mediastinal widening", "widened superior mediastinum",
        "enlarged cardiomediastinal silhouette",
    ],
    "Lung Lesion": [
        "a {cm} cm nodule in the {lobe}", "{lobe} mass", "spiculated {lobe} nodule",
        "a {cm} cm pulmonary nodule projecting over the {lobe}", "{lobe} mass measuring {cm} cm",
        "multiple pulmonary nodules",
    ],
    "Lung Opacity": [
        "{side} basilar opacity", "patchy opacities in the {lobe}", "hazy opacity at the {lobe}",
        "increased opacity at the {side} base", "{degree} {side} airspace opacities",
        "ill-defined opacity in the {lobe}",
    ],
    "Edema": [
        "{degree} pulmonary edema", "{degree} interstitial edema",
        "pulmonary vascular congestion with {degree} edema",
        "{degree} interstitial pulmonary edema",
        "findings of CHF with interstitial edema", "perihilar edema",
    ],
    "Consolidation": [
        "{lobe} consolidation", "focal consolidation in the {lobe}",
        "dense consolidation of the {lobe}", "airspace consolidation in the {lobe}",
        "consolidation at the {side} base",
    ],
    "Pneumonia": [
        "{lobe} pneumonia", "findings consistent with pneumonia", "multifocal pneumonia",
        "an infectious process in the {lobe}", "{lobe} pneumonia in the appropriate setting",
        "aspiration pneumonia in the {lobe}",
    ],
    "Atelectasis": [
        "{side} basilar atelectasis", "{degree} bibasilar atelectasis", "subsegmental atelectasis",
        "linear atelectasis at the {side} base", "plate-like atelectasis in the {lobe}",
        "{lobe} collapse", "{degree} {side} basal atelectasis",
    ],
    "Pleural Other": [
        "{side} pleural thickening", "calcified pleural plaques",
        "{side} apical pleural thickening",
        "pleural plaques along the {side} hemithorax", "{side} pleural scarring",
    ],
    "Fracture": [
        "acute {side} rib fractures", "a fracture of the {side} clavicle",
        "healed {side} rib fractures", "compression fracture of a mid thoracic vertebral body",
        "displaced {side} posterior rib fracture", "{side} 6th rib fx",
    ],
    "Support Devices": [
        "endotracheal tube terminates {cm} cm above the carina", "ETT in standard position",
        "{side} IJ central venous catheter with tip in the SVC",
        "enteric tube courses below the diaphragm", "NG tube tip in the stomach",
        "{side} chest wall pacemaker with leads in the right atrium and ventricle",
        "{side} PICC line terminating at the cavoatrial junction", "{side} chest tube in place",
        "tracheostomy tube in place", "dual-lead pacer in place",
    ],
}  # fmt: skip

# The words a report uses to deny a finding (what goes after "no").
TERMS = {
    "Pleural Effusion": ["pleural effusion", "effusion", "pleural fluid", "effusions"],
    "Pneumothorax": ["pneumothorax", "PTX", "pneumothoraces"],
    "Cardiomegaly": ["cardiomegaly", "cardiac enlargement"],
    "Enlarged Cardiomediastinum": ["mediastinal widening", "widened mediastinum"],
    "Lung Lesion": ["pulmonary nodule", "suspicious nodule", "mass", "nodules or masses"],
    "Lung Opacity": ["focal opacity", "airspace opacity", "opacities"],
    "Edema": ["pulmonary edema", "edema", "interstitial edema", "vascular congestion"],
    "Consolidation": ["focal consolidation", "consolidation", "airspace consolidation"],
    "Pneumonia": ["pneumonia", "infectious process", "focal pneumonia"],
    "Atelectasis": ["atelectasis", "collapse", "volume loss"],
    "Pleural Other": ["pleural thickening", "pleural plaques"],
    "Fracture": ["acute fracture", "displaced rib fracture", "fracture", "rib fractures"],
    "Support Devices": ["lines or tubes", "support devices"],
}

# Normal statements that deny a finding without naming it with its label's word.
NORMAL = {
    "Cardiomegaly": ["heart size is normal", "the heart is not enlarged",
                     "cardiac silhouette is within normal limits", "normal heart size"],
    "Enlarged Cardiomediastinum": ["the mediastinal contours are normal",
                                   "cardiomediastinal silhouette is unremarkable",
                                   "the mediastinum is not widened"],
    "Lung Opacity": ["the lungs are clear", "lungs are well expanded and clear"],
    "Fracture": ["no acute osseous abnormality", "osseous structures are intact"],
}  # fmt: skip

PRE_NEGATION = [
    "no {t}", "no evidence of {t}", "there is no {t}", "negative for {t}", "no definite {t}",
    "no new {t}", "no significant {t}", "no large {t}", "without {t}", "w/o {t}",
]  # fmt: skip
POST_NEGATION = [
    "{T} has resolved", "{T} is no longer seen", "the previously seen {t} has resolved",
    "interval resolution of the {t}", "{T} is not seen", "{T} has cleared",
]  # fmt: skip
UNCERTAIN = [
    "may represent {p}", "cannot exclude {t}", "possible {p}", "{P} is not excluded",
    "questionable {p}", "could reflect {p}", "differential includes {t}", "concern for {t}",
    "{P} cannot be excluded", "probable {p}",
]  # fmt: skip
COMPARISON = [
    "Compared to the prior study, ", "In comparison with the study of {date}, ",
    "Since the prior radiograph, ", "As compared to the previous exam, ", "",
]  # fmt: skip
CHANGE = ["unchanged", "stable", "increased", "decreased", "new", "slightly improved", "similar"]
INDICATIONS = [
    "shortness of breath", "fever and cough", "chest pain", "s/p fall", "hypoxia",
    "line placement", "post-op check", "productive cough", "tachypnea", "trauma", "weakness",
]  # fmt: skip
HEADERS = [
    "EXAMINATION: CHEST (PA AND LAT)", "EXAM: CHEST PORTABLE AP", "CHEST RADIOGRAPH",
    "EXAMINATION: Chest single view", "PORTABLE CHEST X-RAY",
]  # fmt: skip
NORMAL_IMPRESSIONS = [
    "No acute cardiopulmonary process.", "No acute intrathoracic abnormality.",
    "Normal chest radiograph.", "No radiographic evidence of acute disease.",
]  # fmt: skip
ABBREVIATIONS = {" with ": " w/ ", "bilateral": "b/l", "history": "hx", "evaluate": "eval"}
DEVICE_REMOVED = [
    "the endotracheal tube has been removed", "interval removal of the {side} chest tube",
    "the NG tube has been removed", "the {side} PICC line has been removed",
]  # fmt: skip


@dataclass
class Report:
    id: str
    text: str
    labels: list[str] = field(default_factory=list)


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        side=rng.choice(SIDES), size=rng.choice(SIZES), lobe=rng.choice(LOBES),
        degree=rng.choice(DEGREE), cm=rng.choice(["1.2", "2", "3", "4.5", "5", "0.8"]),
        date=f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}", t="{t}",
    )  # fmt: skip


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _negated(rng: random.Random, findings: list[str]) -> str:
    """One sentence denying `findings` (one, or a list under one trigger)."""
    terms = [rng.choice(TERMS[f]) for f in findings]
    if len(terms) == 1:
        name = findings[0]
        if name in NORMAL and rng.random() < 0.4:
            return rng.choice(NORMAL[name])
        if rng.random() < 0.2:
            return rng.choice(POST_NEGATION).format(
                t=terms[0], T=terms[0][:1].upper() + terms[0][1:]
            )
        return rng.choice(PRE_NEGATION).format(t=terms[0])
    joined = ", ".join(terms[:-1]) + rng.choice([", or ", " or ", ", ", " and "]) + terms[-1]
    return rng.choice(["no {t}", "there is no {t}", "no evidence of {t}", "negative for {t}",
                       "no focal {t}", "without {t}"]).format(t=joined)  # fmt: skip


def _positive(rng: random.Random, finding: str) -> str:
    phrase = _fill(rng, rng.choice(POSITIVE[finding]))
    form = rng.random()
    if form < 0.3:
        return f"there is {phrase}"
    if form < 0.45:
        return f"{rng.choice(CHANGE)} {phrase}"
    if form < 0.6:
        return _fill(rng, rng.choice(COMPARISON)) + f"{phrase} is {rng.choice(CHANGE)}"
    return phrase


def _uncertain(rng: random.Random, finding: str) -> str:
    phrase = _fill(rng, rng.choice(POSITIVE[finding]))
    term = rng.choice(TERMS[finding])
    template = rng.choice(UNCERTAIN)
    return template.format(p=phrase, P=phrase[:1].upper() + phrase[1:], t=term)


def _typos(rng: random.Random, text: str, rate: float) -> str:
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) > 4 and word.isalpha() and rng.random() < rate:
            k = rng.randrange(len(word) - 1)
            words[i] = word[:k] + word[k + 1] + word[k] + word[k + 2 :]  # swapped letters
    text = " ".join(words)
    for long, short in ABBREVIATIONS.items():
        if long in text and rng.random() < 0.3:
            text = text.replace(long, short)
    return text


def make_report(rng: random.Random, report_id: str, noise: float = 0.03) -> Report:
    """One report and its labels."""
    present = [f for f, p in PREVALENCE.items() if rng.random() < p]
    # Lists, not sets: a set's order changes with the hash seed, and with it the corpus.
    hedged = [f for f in present if f != "Support Devices" and rng.random() < 0.22]
    positive = [f for f in present if f not in hedged]
    absent = [f for f in PREVALENCE if f not in present and f != "Support Devices"]
    rng.shuffle(absent)
    denied = absent[: rng.randint(1, min(6, len(absent)))]
    sentences, impression = [], []
    for f in positive:
        text = _positive(rng, f)
        if rng.random() < 0.25 and denied:  # "consolidation without effusion"
            other = denied.pop()
            text += f" {rng.choice(['without', 'with no', 'but no'])} {rng.choice(TERMS[other])}"
        sentences.append(text)
        if rng.random() < 0.5:
            impression.append(_fill(rng, rng.choice(POSITIVE[f])))
    sentences += [_uncertain(rng, f) for f in hedged]
    impression += [_uncertain(rng, f) for f in hedged if rng.random() < 0.5]
    while denied:
        k = min(len(denied), rng.choice([1, 1, 2, 3, 4]))
        sentences.append(_negated(rng, denied[:k]))
        denied = denied[k:]
    if "Support Devices" not in present and rng.random() < 0.12:
        sentences.append(_fill(rng, rng.choice(DEVICE_REMOVED)))
    rng.shuffle(sentences)
    normal = not any(f != "Support Devices" for f in present)
    if normal and rng.random() < 0.75:
        impression.append(rng.choice(NORMAL_IMPRESSIONS))
    # The indication names what the clinician suspects: often exactly what the report rules out.
    suspected = rng.choice([*TERMS["Pneumonia"], *TERMS["Pneumothorax"], "effusion", "CHF",
                            "fracture", "edema", "consolidation", "mass"])  # fmt: skip
    indication = f"{rng.randint(19, 95)}-year-old {rng.choice(['man', 'woman', 'M', 'F'])} with "
    indication += f"{rng.choice(INDICATIONS)}, {rng.choice(['eval for', 'r/o', 'question', '?'])}"
    indication += f" {suspected}"
    comparison = rng.choice(["None.", "Chest radiograph from {date}.", "Prior study of {date}."])
    parts = [
        rng.choice(HEADERS),
        f"INDICATION: {indication}.",
        f"COMPARISON: {_fill(rng, comparison)}",
        "FINDINGS: " + " ".join(_sentence(s) for s in sentences),
    ]
    if impression or rng.random() < 0.5:
        shown = impression or [rng.choice(sentences)]
        parts.append("IMPRESSION: " + " ".join(_sentence(s) for s in shown))
    text = _typos(rng, "\n".join(parts), rate=0.015)
    labels = set(positive) | ({"No Finding"} if normal else set())
    if rng.random() < noise:  # a reader's slip: one label dropped or one added
        flip = rng.choice(LABELS)
        labels ^= {flip}
    return Report(report_id, text, [name for name in LABELS if name in labels])


def make_reports(count: int, seed: int = 0, noise: float = 0.03) -> list[Report]:
    """`count` reports with ids r00000, r00001, ..."""
    rng = random.Random(seed)
    return [make_report(rng, f"r{seed:02d}{i:05d}", noise) for i in range(count)]


def write_reports_csv(path: Path, reports: list[Report], with_labels: bool = True) -> Path:
    """`reports` as the training CSV (columns id,text,labels; labels joined by ";")."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "labels"] if with_labels else ["id", "text"])
        for r in reports:
            writer.writerow([r.id, r.text, ";".join(r.labels)] if with_labels else [r.id, r.text])
    return path


TOY_FINDINGS = {
    "Pneumothorax": ["{size} {side} pneumothorax", "{side} apical pneumothorax"],
    "Pleural Effusion": ["{size} {side} pleural effusion", "{side} effusion"],
    "Fracture": ["{side} rib fracture", "fracture of the {side} clavicle"],
}


def toy_reports(count: int, seed: int = 0) -> list[Report]:
    """Short reports that a small network separates in seconds: each of three findings is
    affirmed ("small right pneumothorax") or denied ("no pneumothorax") in its own sentence."""
    rng = random.Random(seed)
    reports = []
    for i in range(count):
        sentences, labels = [], []
        for name, templates in TOY_FINDINGS.items():
            if rng.random() < 0.4:
                sentences.append(_sentence(_fill(rng, rng.choice(templates))))
                labels.append(name)
            elif rng.random() < 0.6:
                sentences.append(_sentence(f"no {TERMS[name][0]}"))
        if not labels and not sentences:
            sentences.append("The lungs are clear.")
        rng.shuffle(sentences)
        reports.append(Report(f"t{i:04d}", "FINDINGS: " + " ".join(sentences), labels))
    return reports
