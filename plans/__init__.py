"""The domain Kaona stands on: annual action plans and how far they have come.

Pure: no I/O beyond reading a file it is handed, no LINE SDK, no ORM, and no
import of bot/, handlers/, flows/, storage/ or scheduler/ (tests/test_layout.py).

- ``model``: projects, steps and the problems an import finds; ``validate``: the checks
- ``readers``: step-table text, the spreadsheet template (.xlsx/.csv)
- ``progress``, ``standing``: actual and planned %, the verdict against the plan
- ``fiscal``, ``thai``: the fiscal calendar, Thai digits, months and BE dates
- ``matching``: finding a project from what a person typed
- ``official_form``: the official progress report form
- ``errors``: the one error hierarchy of the project

Only the data model is re-exported here, so that ``plans.progress`` can import
it without pulling in the readers.
"""

from __future__ import annotations

from plans.model import ParsedProject, PlanFileError, PlanStep, Problem

__all__ = ["ParsedProject", "PlanFileError", "PlanStep", "Problem"]
