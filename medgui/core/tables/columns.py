"""The names every case table shares (a light module: the Cases dock reads them at start)."""

PER = ("patient", "study", "series", "label")
#: Columns that name a case, never features to learn from.
ID_COLUMNS = ("id", "patient_id", "accession", "study_uid", "series_uid", "series_key", "label")
PATIENT_COLUMNS = ("age_years", "sex", "weight_kg")
TARGET = "class"
