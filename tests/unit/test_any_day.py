"""The suite tells the truth on any day: a sample of the date-sensitive tests runs again with
the machine's calendar moved (libfaketime) to four days that catch season bugs: mid-winter,
the day after clocks go forward, mid-summer and the day after clocks go back.

Only the calendar moves (FAKETIME_DONT_FAKE_MONOTONIC): timers and timeouts keep real time.
The multi-process race tests stay out of the sample; they read the clock through their own
processes and are covered by the normal run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAYS = ["2027-01-15", "2027-03-30", "2027-07-15", "2027-10-26"]
SAMPLE = [
    "tests/unit/test_timeutil.py",
    "tests/http/test_agenda_organiser.py",
    "tests/http/test_agenda_changes.py",
    "tests/unit/registration/test_event_reminders.py",
    "tests/unit/registration/test_registration_services.py",
    "tests/unit/feeds",
    "tests/unit/checkin",
    "tests/unit/hosts/test_host_deadlines.py",
    "tests/http/test_host_brief_tickets.py",
]
# Holds and reminders from the registration rules; the whole of the others.
SELECT = "not concurrent and (not test_registration_services or hold or expire or remind)"


@pytest.mark.timeout(900)  # four pytest runs at once; generous for a loaded machine
@pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="runs once, in the SQLite pass"
)
def test_date_sensitive_tests_pass_on_any_day_of_the_year(tmp_path):
    faketime = shutil.which("faketime")
    if faketime is None:
        if os.environ.get("CI"):
            pytest.fail("faketime is missing: `make test` installs it (apt-get install faketime)")
        pytest.skip("faketime is not installed (apt-get install faketime)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_DATABASE", "PYTEST"))}
    env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
    runs = {
        day: subprocess.Popen(
            [
                faketime,
                "-f",
                f"@{day} 12:00:00",
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:xdist",
                "-k",
                SELECT,
                f"--basetemp={tmp_path / day}",
                *SAMPLE,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for day in DAYS
    }
    failures, outputs = {}, {}
    try:
        for day, proc in runs.items():
            outputs[day], _ = proc.communicate(timeout=800)
            if proc.returncode != 0:
                failures[day] = outputs[day][-3000:]
    finally:
        for proc in runs.values():  # a timeout must not leave runs (or their pipes) behind
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert failures == {}
    for day, output in outputs.items():
        assert " passed" in output.splitlines()[-1], (day, output[-500:])
