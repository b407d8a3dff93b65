"""`medgui findings REPORTS.csv OUT.csv`, run in-process as the console script runs it."""

from __future__ import annotations

import csv

from medgui.cli import main


def test_findings_rows_per_report(tmp_path, capsys):
    source = tmp_path / "reports.csv"
    source.write_text(
        "id,text\n"
        'a,"Small left pleural effusion but no pneumothorax."\n'
        'b,"Possible right lower lobe pneumonia. Heart size is normal."\n'
        "c,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    assert main(["findings", str(source), str(out)]) == 0
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["id", "finding", "status", "sentence"]
    got = [(r["id"], r["finding"], r["status"]) for r in rows]
    assert got == [
        ("a", "Pneumothorax", "negative"),
        ("a", "Pleural Effusion", "positive"),
        ("b", "Cardiomegaly", "negative"),
        ("b", "Pneumonia", "uncertain"),
    ]
    assert rows[3]["sentence"] == "Possible right lower lobe pneumonia."
    assert "line 4 (id c): the report text is empty" in capsys.readouterr().err


def test_user_terms(tmp_path):
    source, terms = tmp_path / "r.csv", tmp_path / "terms.txt"
    source.write_text("id,text\nx,No calcified granuloma.\n", encoding="utf-8")
    terms.write_text("Granuloma: calcified granuloma\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    assert main(["findings", str(source), str(out), "--terms", str(terms)]) == 0
    assert "x,Granuloma,negative,No calcified granuloma." in out.read_text(encoding="utf-8")


def test_bad_inputs_exit_1_with_the_file_named(tmp_path, capsys):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,report\n1,x\n", encoding="utf-8")
    assert main(["findings", str(wrong), str(tmp_path / "o.csv")]) == 1
    assert "wrong.csv: a reports CSV needs the columns 'id' and 'text'; found 'name', 'report'" in (
        capsys.readouterr().err
    )
    latin = tmp_path / "odd.csv"
    latin.write_bytes("id,text\n1,\x93No effusion\x94\n".encode("latin-1"))
    assert main(["findings", str(latin), str(tmp_path / "o.csv")]) == 1
    assert "odd.csv: unknown text encoding" in capsys.readouterr().err
    assert main(["findings", str(tmp_path / "missing.csv"), str(tmp_path / "o.csv")]) == 1
    assert "missing.csv: cannot be read" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()
