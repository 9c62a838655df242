"""The `kaona` command: one module per group of commands.

- ``runtime``: the processes and their tools (serve, worker, clock, migrate, inbox, line-server, chat, demo)
- ``plans``: import, template, projects
- ``exports``: export (text, xlsx, json), project (the form's particulars)
- ``access``: invite, bind, unbind, coordinators, groups, richmenu
- ``reminders``: remind, digest, quota, schedule, holidays
- ``common``: the database and project look-up they share
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from bot.cli import access, exports, plans, reminders, runtime
from plans.errors import ConfigError, KaonaError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe is found here, inside the try, not at exit
        return code
    except ConfigError as exc:
        print(f"kaona: configuration error: {exc}", file=sys.stderr)
        return 2
    except KaonaError as exc:
        print(f"kaona: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left early (`kaona groups | head`): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kaona", description="Kaona (ก้าวหน้า): action-plan follow-up in LINE")
    sub = parser.add_subparsers(title="commands")

    runtime.add_commands(sub)
    plans.add_commands(sub)
    exports.add_commands(sub)
    access.add_commands(sub)
    reminders.add_commands(sub)
    return parser


