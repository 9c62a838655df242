"""Importing annual action plans: step tables copied out of Word documents
(``steptable``), the spreadsheet template (``spreadsheet``), and the checks
every imported project goes through (``validate``).

Only the data model is re-exported here, so that ``bot.progress`` can import
it without pulling in the readers.
"""

from __future__ import annotations

from bot.plans.model import ParsedProject, PlanFileError, PlanStep, Problem

__all__ = ["ParsedProject", "PlanFileError", "PlanStep", "Problem"]
