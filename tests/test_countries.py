"""analysis.sources.countries: canonical names, ISO3, actor kinds, errors."""
import time

import pytest

from analysis.sources import countries
from analysis.sources.countries import UnknownCountryError, iso3, kind, normalise, normalise_many


@pytest.mark.parametrize("spelling, canonical", [
    ("Turkiye", "Türkiye"), ("Turkey", "Türkiye"), ("türkiye", "Türkiye"), ("TURKIYE", "Türkiye"),
    ("Czech Republic", "Czechia"), ("Czechia", "Czechia"),
    ("Viet Nam", "Viet Nam"), ("Vietnam", "Viet Nam"),
    ("Cote d'Ivoire", "Côte d'Ivoire"), ("Côte d’Ivoire", "Côte d'Ivoire"), ("Ivory Coast", "Côte d'Ivoire"),
    ("Bosnia-Herzegovina", "Bosnia-Herzegovina"), ("Bosnia and Herzegovina", "Bosnia-Herzegovina"),
    ("DR Congo", "DR Congo"), ("Democratic Republic of the Congo", "DR Congo"), ("Congo", "Congo"),
    ("UAE", "UAE"), ("United Arab Emirates", "UAE"),
    ("United States", "United States"), ("USA", "United States"), ("Russian Federation", "Russia"),
    ("eSwatini", "eSwatini"), ("Swaziland", "eSwatini"), ("Macedonia", "North Macedonia"),
    ("West Germany", "Germany"), ("Curaçao", "Curaçao"),
])
def test_state_spellings_map_to_sipri_style_canonical_names(spelling, canonical):
    assert normalise(spelling) == canonical


@pytest.mark.parametrize("user_input", ["belarus", "  Belarus ", "BELARUS", "Belarus\t"])
def test_user_input_is_case_and_whitespace_insensitive(user_input):
    assert normalise(user_input) == "Belarus"
    assert iso3(user_input) == "BLR"


@pytest.mark.parametrize("name, canonical, code, what", [
    ("Soviet Union", "Soviet Union", None, "former state"),
    ("USSR", "Soviet Union", None, "former state"),
    ("Yugoslavia", "Yugoslavia", None, "former state"),
    ("Czechoslovakia", "Czechoslovakia", None, "former state"),
    ("East Germany (GDR)", "East Germany (GDR)", None, "former state"),
    ("Yemen Arab Republic (North Yemen)", "North Yemen", None, "former state"),
    ("unknown supplier(s)", "unknown supplier(s)", None, "unknown"),
    ("unknown recipient(s)", "unknown recipient(s)", None, "unknown"),
    ("Houthi rebels (Yemen)*", "Houthi rebels (Yemen)", None, "non-state actor"),
    ("NTC (Libya)*", "NTC (Libya)", None, "non-state actor"),
    ("NATO**", "NATO", None, "organisation"),
    ("African Union**", "African Union", None, "organisation"),
    ("United Nations**", "United Nations", None, "organisation"),
    ("Kosovo", "Kosovo", None, "state"),
    ("Türkiye", "Türkiye", "TUR", "state"),
])
def test_entities_without_or_with_iso3(name, canonical, code, what):
    assert (normalise(name), iso3(name), kind(name)) == (canonical, code, what)


def test_non_state_actors_stay_distinct_from_their_state():
    assert normalise("Houthi rebels (Yemen)*") != normalise("Yemen")
    assert normalise("Houthi rebels (Yemen)") == "Houthi rebels (Yemen)"
    assert iso3("Yemen") == "YEM"


def test_new_starred_names_from_sipri_files_are_accepted():
    assert (normalise("Some new militia (Chad)*"), kind("Some new militia (Chad)*")) == (
        "Some new militia (Chad)", "non-state actor")
    assert kind("Some new alliance**") == "organisation"


def test_unknown_parenthesised_name_is_not_read_as_its_country():
    with pytest.raises(UnknownCountryError):
        normalise("Wagner (Russia)")


def test_unknown_name_error_names_it_its_context_and_suggestions():
    with pytest.raises(UnknownCountryError) as err:
        normalise("Belarrus", context="register.csv, line 12")
    message = str(err.value)
    assert "'Belarrus'" in message and "register.csv, line 12" in message and "'Belarus'" in message
    assert isinstance(err.value, ValueError)
    assert err.value.suggestions[0] == "Belarus"


def test_normalise_is_idempotent_on_every_known_name():
    for name in countries.known_names():
        assert normalise(normalise(name)) == normalise(name)


def test_normalise_many_maps_distinct_names_fast():
    names = ["Turkiye", "Israel", "Soviet Union", "NATO**"] * 7500
    normalise_many(names)
    started = time.perf_counter()
    mapping = normalise_many(names)
    assert time.perf_counter() - started < 0.2
    assert mapping == {"Turkiye": "Türkiye", "Israel": "Israel", "Soviet Union": "Soviet Union", "NATO**": "NATO"}


@pytest.mark.parametrize("name, known", [
    ("Belarus", True), ("  republic of  belarus ", True), ("Turkey", True), ("Houthi rebels (Yemen)*", True),
    ("Belaruss", False), ("Not Belarus", False), ("Byelorussia", False), ("Korea, Republic of", False),
])
def test_known_spellings_are_the_tables_not_the_regex_readings(name, known):
    assert countries.is_known_spelling(name) is known
    if not known and "Korea" not in name:
        assert countries.normalise(name) == "Belarus"  # the data loaders still take country_converter's reading
