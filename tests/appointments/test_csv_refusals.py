"""A CSV the csv module itself refuses (review of issue 15: (a field over its 131072-character
limit, well inside the 2 MB file bound) escapes csv_import.parse as `_csv.Error`, which is not a
CsvRefused: `suivant appointments import` ended with a traceback instead of
« suivant: <file>: line N: …; nothing was imported » and exit status 2."""
from __future__ import annotations

import argparse
from datetime import date

import pytest

from host_bridge.appointments import cli, csv_import
from support import EXAMPLE, PARIS

HEADER = b"service,time,code,ants,initials,id\n"


def test_a_field_over_the_csv_modules_limit_is_a_clear_refusal():
    data = HEADER + b'passeports-cni,09:15,"' + b"A" * 200_000 + b'",,DJ,1\n'
    assert len(data) < csv_import.MAX_BYTES
    with pytest.raises(csv_import.CsvRefused, match="line 2"):
        csv_import.parse(data, date(2026, 11, 26), PARIS, {"passeports-cni"})


def test_the_cli_says_so_and_imports_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(HEADER + b'passeports-cni,09:15,"' + b"A" * 200_000 + b'",,DJ,1\n')
    parser = argparse.ArgumentParser(prog="suivant")
    cli.add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["appointments", "import", str(bad), "--config", str(EXAMPLE),
                              "--db", str(tmp_path / "queue.db")])
    with pytest.raises(cli.AppointmentsCliError, match="nothing was imported"):
        args.func(args)


# the same family as test_review_appointment_times: astimezone's OverflowError is not caught
def test_a_time_out_of_range_is_a_clear_refusal():
    data = HEADER + b"passeports-cni,0001-01-01T00:30:00+14:00,P7K2QX,,DJ,1\n"
    with pytest.raises(csv_import.CsvRefused, match="line 2"):
        csv_import.parse(data, date(2026, 11, 26), PARIS, {"passeports-cni"})


def test_suivant_prints_the_refusal_and_exits_2(tmp_path, capsys):
    from host_bridge.cli import main
    bad = tmp_path / "bad.csv"
    bad.write_bytes(HEADER + b'passeports-cni,09:15,"' + b"A" * 200_000 + b'",,DJ,1\n')
    assert main(["appointments", "import", str(bad), "--config", str(EXAMPLE),
                 "--db", str(tmp_path / "queue.db")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"suivant: {bad}: line 2: ") and "nothing was imported" in err
    assert "Traceback" not in err
