"""Finding 2: one mandataire must not be able to fill the machine with kernels. Ten
parallel GETs of the dashboard (what a script or a held-down F5 does) leave at most three
live kernels on their server. Real hub, real Voilà."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from hubkit import Session, follow, kernels_of_server, running_platform
pytestmark = [pytest.mark.slow, pytest.mark.security]
DASHBOARD = "/user/tilleuls/voila/render/tableau_de_bord.ipynb"


@pytest.fixture(scope="module")
def platform():
    with running_platform("retkoop-sec-cap-", accounts=[("tilleuls", "mandataire", "AD76-0421")]) as hub:
        yield hub


def test_ten_parallel_dashboard_gets_leave_at_most_three_kernels(platform):
    s = Session()
    assert s.login("tilleuls")[0] == 302
    status, body, _ = follow(s, DASHBOARD, start=True)  # spawn, OAuth, first page
    assert status == 200 and "tilleuls AD76-0421" in body
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda _: s.request("GET", DASHBOARD)[0], range(10)))
    assert 200 in results, results
    assert len(kernels_of_server("tilleuls")) <= 3
    # and the dashboard still opens afterwards
    status, body, _ = follow(s, DASHBOARD)
    assert status == 200 and "tilleuls AD76-0421" in body
    assert len(kernels_of_server("tilleuls")) <= 3
