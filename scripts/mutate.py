"""Mutation testing of the rule modules with mutmut: `make mutate` (or `MODULES=...`).

Each module is mutated on its own, in its own scratch folder under `.mutmut/`, and each mutant
runs only the tests that target that module (and of those, only the ones that reached the
mutated function). SQLite only; it is slow and CPU-heavy, so it is not part of `make test` or CI.

    .venv/bin/python scripts/mutate.py                      # every module below
    .venv/bin/python scripts/mutate.py checkin-services     # one module
    .venv/bin/python scripts/mutate.py registration --only release_registration,_free_seat

It prints, per module, mutants killed, survived, without tests and timed out, and the score:
killed / (killed + survived + timed out − known equivalents). Surviving mutants are listed with
`mutmut show NAME` run inside `.mutmut/<module>/`. Mutants that cannot change behaviour are
listed in `scripts/mutants_equivalent.txt` with the reason; they do not count against a score.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutmut"
EQUIVALENT = Path(__file__).with_name("mutants_equivalent.txt")
LINKED = ["app", "tests", "migrations", "config.py", "wsgi.py"]

# module name -> (file to mutate, the tests that target it). When a module is split or moved,
# follow it here.
MODULES: dict[str, tuple[str, list[str]]] = {
    "checkin-services": (
        "app/checkin/services.py",
        [
            "tests/unit/checkin/test_checkin_services.py",
            "tests/unit/checkin/test_undo_rules.py",
            "tests/unit/checkin/test_points_and_cancelled.py",
        ],
    ),
    "checkin-sync": ("app/checkin/sync.py", ["tests/http/test_checkin_sync.py"]),
    "checkin-reports": (
        "app/checkin/reports.py",
        ["tests/unit/checkin/test_live_counts.py", "tests/unit/checkin/test_checkin_services.py"],
    ),
    "registration": (
        "app/registration/services.py",
        [
            "tests/unit/registration/test_registration_services.py",
            "tests/unit/registration/test_seat_rules.py",
            "tests/unit/registration/test_ending_rules.py",
            "tests/unit/registration/test_hold_rounds.py",
            "tests/unit/registration/test_event_reminders.py",
        ],
    ),
    "registration-waitlist": (
        "app/registration/waitlist.py",
        [
            "tests/unit/registration/test_seat_rules.py",
            "tests/unit/registration/test_registration_services.py",
        ],
    ),
    "registration-reminders": (
        "app/registration/reminders.py",
        [
            "tests/unit/registration/test_hold_rounds.py",
            "tests/unit/registration/test_event_reminders.py",
            "tests/unit/registration/test_ending_rules.py",
        ],
    ),
    "membership": ("app/auth/membership.py", ["tests/http/test_membership.py"]),
    "benchmark-scoring": ("app/benchmark/scoring.py", ["tests/unit/benchmark/test_scoring.py"]),
    "benchmark-peers": ("app/benchmark/peers.py", ["tests/unit/benchmark/test_peers.py"]),
    "hosts-brief": (
        "app/hosts/brief.py",
        [
            "tests/unit/hosts/test_brief_rules.py",
            "tests/http/test_host_brief.py",
            "tests/http/test_host_brief_tickets.py",
        ],
    ),
    "hosts-deadlines": ("app/hosts/deadlines.py", ["tests/unit/hosts/test_host_deadlines.py"]),
    "outbox-rules": ("app/outbox/rules.py", ["tests/unit/outbox/test_rules.py"]),
    "outbox-delivery": (
        "app/outbox/delivery.py",
        ["tests/unit/outbox/test_delivery.py", "tests/unit/outbox/test_smtp_workers.py"],
    ),
}

KILLED, SURVIVED, NO_TESTS, TIMEOUT = {1, 3, 37}, {0}, {5, 33}, {24, -24, 36, 152, 255}


def _pyproject(source: str, tests: list[str]) -> str:
    base = (ROOT / "pyproject.toml").read_text()
    return base + (
        "\n[tool.mutmut]\n"
        f'source_paths = ["app"]\n'
        f"only_mutate = {json.dumps([source])}\n"
        f'also_copy = ["migrations", "config.py", "wsgi.py"]\n'
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:xdist"]\n'
    )


def _prepare(name: str, source: str, tests: list[str]) -> Path:
    """A scratch folder that sees the project through links and says what to mutate. The
    previous run's copy is removed: mutmut does not refresh files it copied before."""
    folder = WORK / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for entry in LINKED:
        (folder / entry).symlink_to(ROOT / entry)
    (folder / "pyproject.toml").write_text(_pyproject(source, tests))
    return folder


def _equivalents() -> set[str]:
    if not EQUIVALENT.exists():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in EQUIVALENT.read_text().splitlines())
    return {line for line in lines if line}


def _tally(folder: Path, source: str, only: list[str]) -> dict:
    meta = json.loads((folder / "mutants" / f"{source}.meta").read_text())
    codes = meta["exit_code_by_key"]
    if only:
        codes = {
            k: v for k, v in codes.items() if any(k == f or f".x_{f}__mutmut_" in k for f in only)
        }
    equivalent = _equivalents()
    survived = sorted(k for k, v in codes.items() if v in SURVIVED and k not in equivalent)
    tally = {
        "mutants": len(codes),
        "killed": sum(v in KILLED for v in codes.values()),
        "survived": survived,
        "equivalent": sorted(k for k, v in codes.items() if v in SURVIVED and k in equivalent),
        "no_tests": sorted(k for k, v in codes.items() if v in NO_TESTS),
        "timeout": sorted(k for k, v in codes.items() if v in TIMEOUT),
        "not_checked": sum(v is None for v in codes.values()),
    }
    judged = tally["killed"] + len(survived) + len(tally["timeout"])
    tally["score"] = round(100 * tally["killed"] / judged, 1) if judged else None
    return tally


def run(name: str, only: list[str], children: int) -> dict:
    source, tests = MODULES[name]
    folder = _prepare(name, source, tests)
    module = source.removesuffix(".py").replace("/", ".")
    patterns = [f if "__mutmut_" in f else f"{module}.x_{f}__mutmut_*" for f in only]
    patterns = patterns or [f"{module}.*"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("TEST_DATABASE_URL", None)  # SQLite: fast, and the rules hold on both databases
    mutmut = Path(sys.executable).with_name("mutmut")
    command = ["nice", "-n", "10", str(mutmut), "run", "--max-children", str(children)]
    subprocess.run(command + patterns, cwd=folder, env=env, check=False)  # noqa: S603
    return _tally(folder, source, only)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help=f"some of: {', '.join(MODULES)}")
    parser.add_argument(
        "--only", default="", help="comma-separated function names (or full mutant names)"
    )
    parser.add_argument("--children", type=int, default=1, help="mutants run at once")
    args = parser.parse_args()
    only = [f for f in args.only.split(",") if f]
    unknown = set(args.modules) - set(MODULES)
    if unknown:
        parser.error(f"unknown module(s) {', '.join(sorted(unknown))}; choose from {list(MODULES)}")
    results = {name: run(name, only, args.children) for name in args.modules or MODULES}
    print()
    for name, t in results.items():
        print(
            f"{name:20} {t['score']}%  killed {t['killed']}, survived {len(t['survived'])}, "
            f"equivalent {len(t['equivalent'])}, no tests {len(t['no_tests'])}, "
            f"timeout {len(t['timeout'])}, of {t['mutants']}"
        )
        for mutant in t["survived"]:
            print(f"    survived: {mutant}")
    (WORK / "scores.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
