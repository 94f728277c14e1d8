import math

import pytest

from overfitdoc.rerun.stats import betainc, paired_t, t_cdf, t_quantile, t_two_sided_p


@pytest.mark.parametrize(
    "dof,q975",
    [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (9, 2.262), (29, 2.045), (100, 1.984)],
)
def test_t_quantile_matches_table(dof, q975):
    assert t_quantile(0.975, dof) == pytest.approx(q975, abs=1e-3)
    assert t_two_sided_p(q975, dof) == pytest.approx(0.05, abs=2e-4)


def test_t_cdf_known_values():
    assert t_cdf(0.0, 5) == pytest.approx(0.5)
    assert t_cdf(1.0, 1) == pytest.approx(0.75)  # Cauchy
    assert t_cdf(-1.0, 1) == pytest.approx(0.25)
    assert t_quantile(0.995, 2) == pytest.approx(9.925, abs=1e-3)
    assert t_quantile(0.95, 10) == pytest.approx(1.812, abs=1e-3)
    assert betainc(1.0, 1.0, 0.3) == pytest.approx(0.3)
    assert betainc(2.0, 3.0, 0.4) == pytest.approx(0.5248, abs=1e-4)


def test_paired_t():
    r = paired_t([-0.02, -0.01, -0.03])
    assert r["dof"] == 2
    assert r["effect_size"] == pytest.approx(-0.02 / 0.01)
    assert r["t"] == pytest.approx(-2 * math.sqrt(3))
    assert 0.05 < r["p_value"] < 0.1
    assert paired_t([0.1])["p_value"] is None
