"""The vocabulary of a case (案件): where it came from, where it stands, how it ended."""

from __future__ import annotations

from enum import StrEnum


class Source(StrEnum):
    camera = "camera"  # our own inference on a street camera (智能发现)
    alarm = "alarm"  # a vendor AI box or video platform pushed an alarm
    patrol = "patrol"  # an officer reported it on patrol (巡查上报)
    complaint = "complaint"  # 12345 hotline / 城运 dispatch (诉件)
    inspection = "inspection"  # routine inspection from a subject's grade (日常检查)
    audit = "audit"  # a supervisor's finding (督察)


class State(StrEnum):
    pending_triage = "pending_triage"  # 待受理
    dismissed = "dismissed"  # 不予受理 (terminal)
    dispatched = "dispatched"  # 已派遣
    in_progress = "in_progress"  # 处置中
    awaiting_rectification = "awaiting_rectification"  # 限期整改
    filed = "filed"  # 已立案 (handed to 网上办案系统)
    pending_review = "pending_review"  # 待核查
    closed = "closed"  # 已结案

    @property
    def is_open(self) -> bool:
        return self not in (State.dismissed, State.closed)

    @property
    def label_zh(self) -> str:
        return _STATE_ZH[self]


_STATE_ZH = {
    State.pending_triage: "待受理",
    State.dismissed: "不予受理",
    State.dispatched: "已派遣",
    State.in_progress: "处置中",
    State.awaiting_rectification: "限期整改",
    State.filed: "已立案",
    State.pending_review: "待核查",
    State.closed: "已结案",
}

# The officer's work: what "my tasks" lists.
TASK_STATES = (State.dispatched, State.in_progress, State.awaiting_rectification)


class Outcome(StrEnum):
    not_found = "not_found"  # 现场未发现
    corrected_on_site = "corrected_on_site"  # 当场整改
    rectification_ordered = "rectification_ordered"  # 责令限期整改
    case_filed = "case_filed"  # 立案查处
    self_corrected = "self_corrected"  # 自行整改 (after notification)


class DismissReason(StrEnum):
    false_positive = "false_positive"  # 误报
    duplicate = "duplicate"  # 重复
    out_of_jurisdiction = "out_of_jurisdiction"  # 非本辖区
    not_a_violation = "not_a_violation"  # 不属于违规


class RecheckResult(StrEnum):
    corrected = "corrected"
    not_corrected = "not_corrected"


class DeadlineKind(StrEnum):
    accept = "accept"  # dispatched -> accepted
    verify = "verify"  # accepted -> on-site verification recorded
    handle = "handle"  # dispatched -> submitted for review (处置时限)
    rectification = "rectification"  # the party's period to fix it (整改期限)


class Action(StrEnum):
    """Every kind of timeline entry."""

    created = "created"
    dispatch = "dispatch"
    dismiss = "dismiss"
    assign = "assign"
    release = "release"  # the task goes back to the squad board
    accept = "accept"
    verify = "verify"
    order_rectification = "order_rectification"
    recheck = "recheck"
    file = "file"
    submit_review = "submit_review"
    close = "close"
    return_ = "return"
    reopen = "reopen"
    comment = "comment"
    escalate = "escalate"
    evidence = "evidence"  # a file was checked and its hash recorded
    observation = "observation"  # the camera still sees it, or sees it cleared
    notify_party = "notify_party"  # the party was told to correct it by a deadline (SMS)
    confirm_correction = "confirm_correction"  # the camera saw it corrected in time
    inspect = "inspect"  # a routine inspection's checklist, clean or not
    declare_emergency = "declare_emergency"  # the desk runs the case live (突发事件)
    send_responders = "send_responders"  # officers sent to the emergency at once (派警)
    acknowledge = "acknowledge"  # a responder saw the call (响应)
    arrive = "arrive"  # a responder reached the site (到场)
