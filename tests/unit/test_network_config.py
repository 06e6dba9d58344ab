"""The site file's [network] table, central.toml, and the NATS server file nats-config writes:
precise refusals, and each site's user limited to its own subjects."""
from __future__ import annotations

import stat

import pytest

from host_bridge.central import config as central_config
from host_bridge.central import nats_config
from host_bridge.site_config import ConfigError, parse, read_toml
from support import EXAMPLE


def site_with(network: dict):
    document = read_toml(EXAMPLE)
    document["network"] = network
    return parse(document, str(EXAMPLE))


def test_network_table_read_with_defaults(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    n = site_with({"url": "nats://central.example:4222", "password_file": str(secret)}).network
    assert (n.urls, n.user, n.password, n.state_seconds, n.apply_config) == \
        (("nats://central.example:4222",), "site-mairie-villeneuve", "s3cret", 10.0, False)
    assert site_with({"url": ["nats://a:1", "tls://b:2"], "password": "x"}).network.urls == \
        ("nats://a:1", "tls://b:2")


@pytest.mark.parametrize("network, key, says", [
    ({"password": "x"}, "network.url", "missing"),
    ({"url": "http://x", "password": "x"}, "network.url", "nats://HOST"),
    ({"url": "nats://x"}, "network.password_file", "exactly one"),
    ({"url": "nats://x", "password": "x", "password_file": "f"}, "network.password_file",
     "exactly one"),
    ({"url": "nats://x", "password_file": "/nonexistent/pw"}, "network.password_file",
     "cannot read"),
    ({"url": "nats://x", "password": "x", "state_seconds": 0}, "network.state_seconds", "0.2"),
    ({"url": "nats://x", "password": "x", "sate_seconds": 1}, "network.sate_seconds",
     "unknown key"),
])
def test_network_table_refusals(network, key, says):
    with pytest.raises(ConfigError) as refused:
        site_with(network)
    assert refused.value.key == key and says in refused.value.reason


CENTRAL = {"central": {"nats_url": "nats://127.0.0.1:4222", "postgres": "dbname=x"},
           "sites": [{"id": "mairie-a", "name": "Mairie A", "region": "Occitanie"},
                     {"id": "mairie-b", "name": "Mairie B"}]}


def test_central_config_read():
    c = central_config.parse(CENTRAL, "central.toml")
    assert [s.id for s in c.sites] == ["mairie-a", "mairie-b"]
    assert (c.listen_host, c.listen_port, c.user) == ("127.0.0.1", 8100, "central")
    assert c.site("mairie-b").region == ""


@pytest.mark.parametrize("change, key", [
    (lambda d: d["central"].pop("postgres"), "central.postgres"),
    (lambda d: d["central"].update(nats_url="localhost"), "central.nats_url"),
    (lambda d: d["central"].update(listen="8100"), "central.listen"),
    (lambda d: d["sites"].append({"id": "mairie-a", "name": "again"}), "sites[2].id"),
    (lambda d: d["sites"][0].update(id="Mairie A"), "sites[0].id"),
    (lambda d: d["sites"][0].update(colour="red"), "sites[0].colour"),
    (lambda d: d.update(extra=1), "extra"),
])
def test_central_config_refusals(change, key):
    import copy
    document = copy.deepcopy(CENTRAL)
    change(document)
    with pytest.raises(ConfigError) as refused:
        central_config.parse(document, "central.toml")
    assert refused.value.key == key


def test_nats_config_limits_each_site_and_keeps_passwords(tmp_path):
    import bcrypt
    path = tmp_path / "central.toml"
    path.write_text('[central]\nnats_url = "nats://127.0.0.1:4222"\npostgres = "dbname=x"\n'
                    '[[sites]]\nid = "mairie-a"\nname = "A"\n')
    config = central_config.load(path)
    conf = nats_config.write(config, tmp_path / "nats", port=4999)
    text = conf.read_text()
    secret = tmp_path / "secrets" / "mairie-a.password"
    password = secret.read_text().strip()
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert password not in text  # only its hash is in the server's file
    hashed = text.split('"user": "site-mairie-a"')[1].split('"password": "')[1].split('"')[0]
    assert bcrypt.checkpw(password.encode(), hashed.encode())
    assert nats_config.site_permissions("mairie-a") == {
        "publish": {"allow": ["suivant.site.mairie-a.events", "suivant.site.mairie-a.state",
                              "suivant.central.cursor.mairie-a", "suivant.central.history.mairie-a",
                              "suivant.central.config.mairie-a"]},
        "subscribe": {"allow": ["_INBOX_mairie-a.>"]}}
    nats_config.write(config, tmp_path / "nats", port=4999)
    assert secret.read_text().strip() == password  # written again: the same password
    nats_config.write(config, tmp_path / "nats", port=4999, rotate=True)
    assert secret.read_text().strip() != password
