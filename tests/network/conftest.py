"""One PostgreSQL cluster for the network tests (a database per test), a network per test."""
from __future__ import annotations

import pytest

from network_rig import Network
from network_servers import Postgres


@pytest.fixture(scope="session")
def pg():
    with Postgres() as cluster:
        yield cluster


@pytest.fixture
def make_network(tmp_path, pg):
    made: list[Network] = []

    def make(sites, regions=None) -> Network:
        net = Network(tmp_path, pg, list(sites), regions)
        made.append(net)
        return net
    yield make
    for net in made:
        net.close()
