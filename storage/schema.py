"""Every table of the project on one metadata: for Alembic and for resetting test databases."""

from __future__ import annotations

from storage import access_models, models, plan_models, reminder_models, report_models
from storage.db import Base

metadata = Base.metadata
MODEL_MODULES = (models, plan_models, access_models, report_models, reminder_models)
