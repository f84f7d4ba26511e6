"""Hostile or unlucky input: make variables never run as commands, absurdly long names are refused at
once, lookalike letters from another script are pointed out."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from analysis import paths
from analysis.case.params import MAX_NAME_LENGTH, ParameterError, check_brief_parameters


@pytest.mark.parametrize("value", ['Belarus" ; touch {marker} ; echo "', "Bel$$(touch {marker})arus",
                                   "Bel`touch {marker}`arus"])
def test_make_variables_never_run_as_commands(tmp_path, value):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    marker = tmp_path / "ran"
    out = subprocess.run(["make", "--no-print-directory", "report", f"SUPPLIER={value.format(marker=marker)}",
                          "TRANSFERS=embedded"], cwd=paths.PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert not marker.exists(), "a make variable ran a command"
    assert out.returncode != 0
    assert "parameter 'supplier'" in out.stderr


def test_an_absurdly_long_name_is_refused_at_once():
    with pytest.raises(ParameterError, match=r"a name of 100,000 characters is too long .*at most 120"):
        check_brief_parameters("B" * 100_000, "Azerbaijan", None, None, 2018, 2022)
    long_but_fine = "Kurdistan Regional Government (Iraq)"
    assert len(long_but_fine) < MAX_NAME_LENGTH
    assert check_brief_parameters(long_but_fine, "Türkiye", None, None, 2018, 2022).supplier == long_but_fine


def test_a_cyrillic_lookalike_letter_is_pointed_out():
    with pytest.raises(ParameterError, match=r"Cyrillic letter 'а' \(U\+0430\) at position 4"):
        check_brief_parameters("Bel\u0430rus", "Azerbaijan", None, None, 2018, 2022)
    # a name wholly in another script is not a lookalike (it is refused, if at all, as unknown)
    with pytest.raises(ParameterError) as err:
        check_brief_parameters("Беларусь", "Azerbaijan", None, None, 2018, 2022)
    assert "Cyrillic letter" not in str(err.value)
