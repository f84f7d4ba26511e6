import pytest

from analysis.params import ParameterError, _period, slugify


def test_slug_is_safe():
    assert slugify("Belarus-Azerbaijan-2018-2022") == "belarus-azerbaijan-2018-2022"
    assert slugify("../../x") == "x"
    assert slugify("Türkiye/../Côte d'Ivoire") == "turkiye-cote-d-ivoire"
    with pytest.raises(ParameterError):
        slugify("../..")


@pytest.mark.parametrize("start, end, message", [
    (2022, 2018, "start_year \\(2022\\) is after end_year \\(2018\\)"),
    ("2018", 2022, "'start_year' must be an integer year, got '2018' \\(str\\)"),
    (2018, 2.5, "'end_year' must be an integer year"),
    (1900, 2022, "outside the years"),
    (True, 2022, "must be an integer year"),
])
def test_bad_periods(start, end, message):
    with pytest.raises(ParameterError, match=message):
        _period(start, end)
