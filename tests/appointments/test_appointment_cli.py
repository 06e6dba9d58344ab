"""`suivant appointments import|list` (host_bridge/appointments/cli.py), through an argparse
parser of its own (the lead wires add_parsers into `suivant`)."""
from __future__ import annotations

import argparse
from datetime import datetime

import pytest

from host_bridge.appointments import cli
from host_bridge.appointments.store import AppointmentStore, appointments_path
from support import EXAMPLE, PARIS


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="suivant")
    cli.add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


def today_rows(db):
    store = AppointmentStore(appointments_path(str(db)), PARIS)
    try:
        return {a.external_id: a.status.value for a in store.day(datetime.now(PARIS).date())}
    finally:
        store.close()


def test_import_then_list_then_a_refused_file_changes_nothing(tmp_path, capsys):
    db = tmp_path / "queue.db"
    good = tmp_path / "today.csv"
    good.write_text("service,time,code,ants,initials,id\n"
                    "passeports-cni,09:00,P7K2QX,,DJ,1\npasseports-cni,09:15,H4M9TR,,,2\n")
    assert run("appointments", "import", str(good), "--config", str(EXAMPLE), "--db", str(db)) == 0
    assert "2 added, 0 updated, 0 cancelled" in capsys.readouterr().out
    assert run("appointments", "list", "--config", str(EXAMPLE), "--db", str(db)) == 0
    out = capsys.readouterr().out
    assert "09:00  passeports-cni" in out and "2 appointment(s) today" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("service,time,code,ants,initials,id\npasseports-cni,09:00,A1,,,1\n"
                   "nowhere,09:00,A2,,,2\n")
    with pytest.raises(cli.AppointmentsCliError, match="line 3: unknown service .*nothing was"):
        run("appointments", "import", str(bad), "--config", str(EXAMPLE), "--db", str(db))
    assert today_rows(db) == {"1": "booked", "2": "booked"}
    with pytest.raises(cli.AppointmentsCliError, match="missing.csv"):
        run("appointments", "import", str(tmp_path / "missing.csv"), "--config", str(EXAMPLE),
            "--db", str(db))
