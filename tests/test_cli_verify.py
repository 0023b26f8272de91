"""`mvplan verify`: closed-form cases from the command line, with parameters an analyst sets."""

from __future__ import annotations

import json

from mvplan.cli import main


def test_verify_all_cases_pass_with_orders(capsys) -> None:
    assert main(["verify", "--json"]) == 0
    cases = {c["name"]: c for c in json.loads(capsys.readouterr().out)["cases"]}
    assert set(cases) >= {"ring-foundation", "ring-diametral", "rigid-ring-torque"}
    assert all(c["passed"] for c in cases.values())
    assert 1.8 < cases["ring-foundation"]["observed_order"] < 2.2
    assert 1.8 < cases["ring-diametral"]["observed_order"] < 2.2
    assert cases["finite-differences"]["error"] < 1e-5


def test_verify_case_with_parameters(capsys) -> None:
    code = main(
        ["verify", "ring-foundation", "--set", "radius=15", "--set", "levels=16,32,64", "--json"]
    )
    case = json.loads(capsys.readouterr().out)["cases"][0]
    assert case["params"]["radius"] == 15.0
    assert case["params"]["levels"] == [16, 32, 64]
    assert code == (0 if case["passed"] else 1)


def test_verify_failing_case_exits_1(capsys) -> None:
    # Too coarse to meet the default tolerance: the command must say FAIL, not pass quietly.
    assert main(["verify", "ring-diametral", "--set", "levels=8,16"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_verify_bad_case_or_parameter_exits_2(capsys) -> None:
    assert main(["verify", "no-such-case"]) == 2
    assert main(["verify", "ring-diametral", "--set", "bogus=1"]) == 2
    assert main(["verify", "ring-diametral", "--set", "radius=abc"]) == 2
    err = capsys.readouterr().err
    assert "no-such-case" in err and "bogus" in err and "radius" in err
