"""The findings extractor: CheXpert terms, negation and uncertainty scopes, No Finding, the
user's own terms, and its scores on the labelled sentence sets."""

from __future__ import annotations

import pytest
from text_testing import SENTENCES, labelled_sentences, predicted_statuses, score

from medgui.core.text.findings import FindingsExtractor, sentences
from medgui.core.text.vocabulary import load_vocabulary, parse_user_terms


@pytest.fixture(scope="module")
def extractor() -> FindingsExtractor:
    return FindingsExtractor()


def statuses(extractor, text):
    return {f.finding: f.status for f in extractor.extract(text)}


def test_pre_negation_reaches_a_list_of_findings(extractor):
    found = statuses(extractor, "No focal consolidation, pleural effusion or pneumothorax.")
    assert found == {
        "No Finding": "positive",
        "Consolidation": "negative",
        "Pleural Effusion": "negative",
        "Pneumothorax": "negative",
    }


@pytest.mark.parametrize("terminator", ["but", "however", "although"])
def test_scope_ends_at_a_terminator(extractor, terminator):
    found = statuses(extractor, f"No pneumothorax, {terminator} a small left effusion is noted.")
    assert found["Pneumothorax"] == "negative"
    assert found["Pleural Effusion"] == "positive"


def test_scope_ends_at_the_sentence(extractor):
    found = statuses(extractor, "No pneumothorax. Small left pleural effusion.")
    assert found["Pleural Effusion"] == "positive"


def test_post_triggers(extractor):
    assert statuses(extractor, "The pneumothorax has resolved.")["Pneumothorax"] == "negative"
    assert statuses(extractor, "Pneumonia cannot be excluded.")["Pneumonia"] == "uncertain"
    assert statuses(extractor, "Effusion is not seen.")["Pleural Effusion"] == "negative"


def test_uncertainty_and_versus(extractor):
    found = statuses(extractor, "Atelectasis versus consolidation at the left base.")
    assert found["Atelectasis"] == found["Consolidation"] == "uncertain"
    assert statuses(extractor, "Rule out pneumonia.")["Pneumonia"] == "uncertain"


def test_pseudo_negation_negates_nothing(extractor):
    found = statuses(extractor, "No change in the small right pleural effusion.")
    assert found["Pleural Effusion"] == "positive"


def test_negated_hedge_is_a_negation(extractor):
    found = statuses(extractor, "There is no focal airspace opacity to suggest pneumonia.")
    assert found["Pneumonia"] == "negative"


def test_absence_phrases_and_pericardial_effusion(extractor):
    found = statuses(extractor, "Heart size is normal. Small pericardial effusion.")
    assert found == {"No Finding": "positive", "Cardiomegaly": "negative"}


def test_no_finding_only_when_nothing_else_is_positive(extractor):
    text = "No acute cardiopulmonary process. Right PICC line in standard position."
    found = statuses(extractor, text)
    assert found["No Finding"] == "positive" and found["Support Devices"] == "positive"
    found = statuses(extractor, "No acute cardiopulmonary process. Possible small effusion.")
    assert found["No Finding"] == "negative"
    assert "No Finding" not in statuses(extractor, "Small left pleural effusion.")


def test_a_report_aggregates_positive_over_uncertain_over_negative(extractor):
    text = "No effusion on the right. Possible effusion on the left. Small left effusion."
    (effusion,) = [f for f in extractor.extract(text) if f.finding == "Pleural Effusion"]
    assert effusion.status == "positive"
    assert effusion.sentence == "Small left effusion."
    assert [m.status for m in effusion.mentions] == ["negative", "uncertain", "positive"]


def test_mentions_point_into_the_text(extractor):
    text = "Impression: possible right lower lobe pneumonia."
    (mention,) = extractor.mentions(text)
    assert text[mention.start : mention.end] == "pneumonia"
    assert mention.trigger == "possible"


def test_sentences_keep_abbreviations_whole():
    text = "Atelectasis vs. pneumonia per Dr. Smith; no effusion.\nIMPRESSION: clear"
    parts = [text[a:b].strip() for a, b in sentences(text)]
    assert parts == [
        "Atelectasis vs. pneumonia per Dr. Smith;",
        "no effusion.",
        "IMPRESSION:",
        "clear",
    ]


def test_user_terms_extend_and_add_findings(tmp_path):
    path = tmp_path / "terms.txt"
    path.write_text(
        "# mine\nPleural Effusion: hydropneumothorax\nGranuloma: calcified granuloma, granuloma\n",
        encoding="utf-8",
    )
    vocabulary = load_vocabulary(path)
    assert vocabulary.user_findings == ["Granuloma"]
    found = statuses(FindingsExtractor(vocabulary), "No calcified granuloma. Hydropneumothorax.")
    assert found["Granuloma"] == "negative"
    assert found["Pleural Effusion"] == "positive"


def test_a_bad_vocabulary_line_names_the_file_and_line():
    with pytest.raises(ValueError, match="terms.txt, line 2"):
        parse_user_terms("A: b\nno colon here\n", "terms.txt")


@pytest.mark.parametrize(("name", "floor"), [(SENTENCES.name, 0.9), ("findings_heldout.tsv", 0.9)])
def test_scores_on_the_labelled_sets(extractor, name, floor):
    rows = labelled_sentences(SENTENCES.with_name(name))
    predicted = [predicted_statuses(extractor, sentence) for sentence, _ in rows]
    figures = score([gold for _, gold in rows], predicted)
    assert figures["macro_f1"] >= floor
    assert figures["negative_f1"] >= 0.95
