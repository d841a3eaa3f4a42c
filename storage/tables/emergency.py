"""Emergencies (突发事件): the officers sent to one, and how far each has got."""

from __future__ import annotations

from piccolo.columns import BigSerial, DoublePrecision, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from storage.tables.cases import Case
from storage.tables.org import StaffUser


class CaseResponder(Table, tablename="case_responder"):
    """One officer sent to an emergency case; its milestones are also timeline entries."""

    id = BigSerial(primary_key=True)
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, null=False)
    officer = ForeignKey(references=StaffUser, on_delete=OnDelete.restrict, null=False)
    sent_by = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    sent_at = Timestamptz()
    acknowledged_at = Timestamptz(null=True, default=None)
    arrived_at = Timestamptz(null=True, default=None)
    arrival_kind = Varchar(length=16, null=True, default=None, help_text="position | check_in")
    arrival_lng = DoublePrecision(null=True, default=None, help_text="WGS-84.")
    arrival_lat = DoublePrecision(null=True, default=None)
    arrival_distance_m = DoublePrecision(
        null=True, default=None, help_text="From the site when they arrived."
    )
