"""Pseudonyms per patient and the mapping file that keeps repeated exports consistent.

Each original PatientID gets a pseudonym (the new PatientID and PatientName), a whole-day date
offset (never 0) and a secret key for the UID hash. The mapping CSV (columns `MAPPING_FIELDS`)
is read when it exists, new patients are appended, and it is written back atomically; it links
pseudonyms to patients, so it is as secret as the originals.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from medgui.core.util.atomic import atomic_write_text

MAPPING_FIELDS = ("original_patient_id", "pseudonym", "date_offset_days", "uid_key")
# A DICOM LO value holds 64 characters; these characters are also safe in any folder name.
_MAX_ID_CHARS = 64
_PSEUDONYM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_UID_KEY = re.compile(r"(?:[0-9a-fA-F]{2}){16,64}")
MAX_OFFSET_DAYS = 36525  # a century: further back is a typo, not a shift


@dataclass(frozen=True)
class Pseudonym:
    """What one patient becomes: the new ID and name, the whole-day date shift (never 0) and the
    secret key of the UID hash (hex)."""

    original_patient_id: str
    pseudonym: str
    date_offset_days: int
    uid_key: str

    def new_uid(self, uid: str) -> str:
        """The replacement of `uid`: a "2.25." UID (≤ 44 characters) from a version-4 UUID made
        of the keyed hash, so equal inputs give equal outputs and nobody without the key can
        reverse or guess it."""
        digest = hmac.new(bytes.fromhex(self.uid_key), uid.encode(), hashlib.sha256).digest()
        return f"2.25.{uuid.UUID(bytes=digest[:16], version=4).int}"


def _entry(row: dict[str, str | None]) -> Pseudonym:
    """One mapping row, checked: the pseudonym becomes PatientID, PatientName and a folder name
    of the output, so a value like "../x" or "/abs" must never pass. The original ID is only a
    key to look up (whatever the source files hold), so it is taken as it is."""
    if None in row or any(value is None for value in row.values()):
        raise ValueError(f"expected exactly {len(MAPPING_FIELDS)} columns")
    original, pseudonym = row["original_patient_id"], row["pseudonym"]
    if not _PSEUDONYM.fullmatch(pseudonym):
        raise ValueError(
            f"pseudonym {pseudonym[:80]!r} must be 1 to {_MAX_ID_CHARS} letters, digits, '.', "
            "'_' or '-', starting with a letter or digit"
        )
    try:
        offset = int(row["date_offset_days"])
    except ValueError as error:
        raise ValueError(f"date_offset_days is not a whole number: {error}") from None
    if offset == 0 or abs(offset) > MAX_OFFSET_DAYS:
        raise ValueError(
            f"date_offset_days {offset} must be non-zero and within ±{MAX_OFFSET_DAYS}"
        )
    if not _UID_KEY.fullmatch(row["uid_key"]):
        raise ValueError("uid_key must be 32 to 128 hexadecimal digits (an even number)")
    return Pseudonym(original, pseudonym, offset, row["uid_key"])


class PseudonymMap:
    """Original PatientID → `Pseudonym`; new patients get a random pseudonym, offset and key.
    Kept in a CSV (`load` / `save`) so that repeated exports give the same results."""

    def __init__(self, entries: dict[str, Pseudonym] | None = None) -> None:
        self.entries = dict(entries or {})

    def for_patient(self, patient_id: str) -> Pseudonym:
        """The patient's pseudonym, made on first use."""
        if patient_id not in self.entries:
            taken = {p.pseudonym for p in self.entries.values()}
            name = f"ANON-{secrets.token_hex(4).upper()}"
            while name in taken:
                name = f"ANON-{secrets.token_hex(4).upper()}"
            offset = -(365 + secrets.randbelow(10 * 365))  # 1 to 11 years back, never 0
            self.entries[patient_id] = Pseudonym(patient_id, name, offset, secrets.token_hex(32))
        return self.entries[patient_id]

    @classmethod
    def load(cls, path: str | Path) -> PseudonymMap:
        """Read a mapping CSV (columns `MAPPING_FIELDS`); an absent file is an empty map.
        ValueError names the file and line of a bad row: a pseudonym that is not 1-64 letters,
        digits, '.', '_', '-' (starting with a letter or digit), a date offset that is 0 or
        beyond `MAX_OFFSET_DAYS`, a key that is not 32-128 hex digits, a repeated patient or
        pseudonym."""
        path = Path(path)
        if not path.exists():
            return cls()
        entries = {}
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != MAPPING_FIELDS:
                raise ValueError(f"{path}: expected the columns {', '.join(MAPPING_FIELDS)}")
            for row in reader:
                try:
                    entry = _entry(row)
                    if entry.original_patient_id in entries:
                        raise ValueError(f"patient {entry.original_patient_id!r} is listed twice")
                    if entry.pseudonym in {p.pseudonym for p in entries.values()}:
                        raise ValueError(f"pseudonym {entry.pseudonym!r} is given to two patients")
                except (ValueError, TypeError) as error:
                    raise ValueError(f"{path}: line {reader.line_num}: {error}") from error
                entries[entry.original_patient_id] = entry
        return cls(entries)

    def save(self, path: str | Path) -> Path:
        """Write the map atomically as CSV."""
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(MAPPING_FIELDS)
        for p in self.entries.values():
            writer.writerow([p.original_patient_id, p.pseudonym, p.date_offset_days, p.uid_key])
        return atomic_write_text(path, text.getvalue())
