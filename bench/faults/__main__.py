"""``python -m bench.faults SCENARIO [--smoke]``: run one fault script (or ``all``), print
its counts and PASS/FAIL; the exit status is 0 only when every guarantee held."""

from __future__ import annotations

import argparse
import logging
import platform
import sys
import time
from datetime import UTC, datetime

from bench.faults.scenarios import SCENARIOS, Report
from bench.faults.stack import postgres_available


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("scenario", choices=[*SCENARIOS, "all"])
    parser.add_argument("--smoke", action="store_true", help="the short CI version")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    problem = postgres_available()
    if problem:
        print(f"cannot run: {problem}", file=sys.stderr)
        return 2
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({platform.processor() or platform.machine()},"
          f" {__import__('os').cpu_count()} cores){' smoke' if args.smoke else ''}")
    ok = True
    for name in names:
        started = time.monotonic()
        kwargs = {"smoke": args.smoke} | ({"seed": args.seed} if args.seed is not None else {})
        found = SCENARIOS[name](**kwargs)
        reports: list[Report] = found if isinstance(found, list) else [found]
        for report in reports:
            print(report.text())
            ok = ok and report.ok
        print(f"  ({time.monotonic() - started:.0f} s in all)", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
