"""Zone rules on tracked detections: which camera samples make, keep or clear an alert.

``Tracker.update(detections, at)`` per sample, then
``RuleEngine.evaluate(tracks, zones, width, height, at, local_tz)`` → ``Firing`` /
``StillPresent`` / ``Cleared`` events. Zone semantics are documented in
:mod:`vision.rules.zones`, the alert life in :mod:`vision.rules.engine`.
"""

from vision.rules.engine import Cleared, Event, Firing, RuleEngine, RuleState, StillPresent
from vision.rules.tracker import Track, Tracker, iou_matrix
from vision.rules.zones import Zone, ZoneRule, active_at, bottom_centres_in, contains

__all__ = [
    "Cleared",
    "Event",
    "Firing",
    "RuleEngine",
    "RuleState",
    "StillPresent",
    "Track",
    "Tracker",
    "Zone",
    "ZoneRule",
    "active_at",
    "bottom_centres_in",
    "contains",
    "iou_matrix",
]
