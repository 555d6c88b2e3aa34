"""The suite's guard against leaked processes fails the test that leaks one, and only that test."""

from __future__ import annotations

import pytest
from tests.conftest import REPO


def test_a_test_that_leaves_a_process_behind_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makeconftest("from tests.processes import no_leaked_processes\n")
    pytester.makepyfile(
        """
        import subprocess
        import time

        KEPT = []

        def test_leaves_one_running():
            subprocess.Popen(["sleep", "60"])

        def test_leaves_one_unwaited():
            KEPT.append(subprocess.Popen(["true"]))  # ends, but nobody waits for it
            time.sleep(0.5)

        def test_waits_for_its_process():
            subprocess.run(["true"], check=True)

        def test_kills_and_waits():
            with subprocess.Popen(["sleep", "60"]) as process:
                process.kill()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "ignore")
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaves_one_running*",
            "*the test left child processes behind: {*: 'sleep 60'}*",
            "*ERROR at teardown of test_leaves_one_unwaited*",
        ]
    )
