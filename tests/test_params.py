import pytest

from analysis.case.params import ParameterError, _period, slugify


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


@pytest.mark.parametrize("given, reading", [("Belaruss", "Belarus"), ("Not Belarus", "Belarus"),
                                            ("Byelorussia", "Belarus"), ("Korea, Republic of", "South Korea")])
def test_a_country_parameter_read_only_by_a_regex_is_refused_with_that_reading_suggested(given, reading):
    from analysis.case.params import check_brief_parameters

    with pytest.raises(ParameterError) as err:
        check_brief_parameters(given, "Azerbaijan", "Armenia", "CSTO", 2018, 2022, "embedded")
    assert f"parameter 'supplier': {given!r} is not a known spelling" in str(err.value)
    assert f"did you mean {reading!r}?" in str(err.value)


@pytest.mark.parametrize("given, canonical", [("belarus", "Belarus"), ("Republic of Belarus", "Belarus"),
                                               ("Turkey", "Türkiye"), ("Russian Federation", "Russia")])
def test_known_spellings_of_a_country_parameter_are_taken(given, canonical):
    from analysis.case.params import check_brief_parameters

    params = check_brief_parameters("Azerbaijan", given, None, None, 2018, 2022, "embedded")
    assert params.recipient == canonical
