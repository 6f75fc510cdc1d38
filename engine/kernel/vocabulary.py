"""The domain's codes and their zh-CN and English labels, in one place.

Case statuses, item kinds, levels, unit kinds, roles, task states, timer kinds and
event types were bare strings repeated across modules, templates and the OpenAPI
document; a typo was a silent bug and a label changed in one place only. Each is a
`StrEnum` here: members compare equal to their codes, so database columns, JSON and
diagram properties keep plain strings while code names the member.

Labels are data, not gettext messages: the engine has no Flask, and the web layer
picks a label by the request's locale (`Vocabulary.label(locale)`); the zh labels
are those the UI showed before (web/translations/zh_Hans_CN, the template macros).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


def is_english(locale: object) -> bool:
    """zh-CN is the default; any English locale ("en", "en_US") picks the English label."""
    return locale is not None and str(locale).lower().startswith("en")


class Vocabulary(StrEnum):
    """A code with its zh-CN and English label. Members are declared as `NAME = (code, zh, en)`."""

    zh: str
    en: str

    def __new__(cls, code: str, zh: str = "", en: str = "") -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member.zh = zh
        member.en = en
        return member

    def label(self, locale: object = None) -> str:
        return self.en if is_english(locale) else self.zh

    @classmethod
    def choices(cls, locale: object = None) -> list[tuple[str, str]]:
        """(code, label) pairs in declaration order, for a form's select."""
        return [(member.value, member.label(locale)) for member in cls]

    @classmethod
    def codes(cls) -> list[str]:
        return [member.value for member in cls]


class CaseStatus(Vocabulary):
    OPEN = ("open", "办理中", "Open")
    WAITING_MATERIALS = ("waiting_materials", "待补材料", "Waiting for materials")
    CLOSED = ("closed", "已办结", "Closed")
    RETURNED = ("returned", "退回", "Returned")
    ARCHIVED = ("archived", "已归档", "Archived")
    FAILED = ("failed", "运行出错", "Failed")  # only an analyst's test run: its diagram failed


# Statuses of an item still being worked on (by staff or, for materials, by the resident).
CASE_OPEN: frozenset[CaseStatus] = frozenset({CaseStatus.OPEN, CaseStatus.WAITING_MATERIALS})
# Statuses that end an item: entering one sets closed_at.
CASE_FINISHED: frozenset[CaseStatus] = frozenset(
    {CaseStatus.CLOSED, CaseStatus.RETURNED, CaseStatus.ARCHIVED, CaseStatus.FAILED}
)
# Statuses whose workflow has ended: nothing is left to run, migrate or count as running. A closed
# (replied) item still has its archiving step; a returned (refused, withdrawn) one has none.
CASE_ENDED: frozenset[CaseStatus] = frozenset({CaseStatus.RETURNED, CaseStatus.ARCHIVED, CaseStatus.FAILED})


class ItemKind(Vocabulary):
    IMMEDIATE = ("immediate", "即办件", "Immediate")
    PROMISED = ("promised", "承诺件", "Promised")
    JOINT = ("joint", "联办件", "Joint")
    ESCALATED = ("escalated", "上报件", "Escalated")
    SPECIAL = ("special", "特办件", "Special")


class Level(Vocabulary):
    GROUP = ("group", "组", "Group")
    VILLAGE = ("village", "村", "Village")
    TOWNSHIP = ("township", "乡镇", "Township")
    COUNTY = ("county", "县", "County")


class UnitKind(Vocabulary):
    COUNTY = ("county", "县", "County")
    TOWNSHIP = ("township", "乡镇", "Township")
    VILLAGE = ("village", "村", "Village")
    GROUP = ("group", "村民小组", "Villager group")
    DEPARTMENT = ("department", "部门", "Department")
    STATION = ("station", "站所", "Station")
    WINDOW = ("window", "窗口", "Window")


class Role(Vocabulary):
    """Role codes, the lane names of the diagrams. Each role's level and unit rule stay in config/roles.toml."""

    GROUP_AGENT = ("group_agent", "组级代办员", "Group agent")
    VILLAGE_AGENT = ("village_agent", "村级代办员", "Village agent")
    TOWNSHIP_RECEPTION = ("township_reception", "乡镇便民服务中心", "Township reception")
    STATION_HANDLER = ("station_handler", "站所经办人", "Station handler")
    TOWNSHIP_AGENT = ("township_agent", "乡级代办员", "Township agent")
    COUNTY_WINDOW = ("county_window", "县代办窗口", "County window")
    DEPARTMENT_HANDLER = ("department_handler", "部门经办人", "Department handler")
    SUPERVISOR = ("supervisor", "督查人员", "Supervisor")
    DISCIPLINE_INSPECTOR = ("discipline_inspector", "乡纪委", "Discipline inspector")
    ANALYST = ("analyst", "流程分析员", "Process analyst")
    ADMIN = ("admin", "系统管理员", "Administrator")
    LEADER = ("leader", "县领导", "County leader")


# Named groups of roles, so a rule reads as who it is for instead of a tuple repeated per module.
OPENING_ROLES = frozenset({Role.VILLAGE_AGENT, Role.GROUP_AGENT, Role.TOWNSHIP_RECEPTION, Role.COUNTY_WINDOW})
EDITOR_ROLES = frozenset({Role.ANALYST, Role.ADMIN})  # the process library and the modeler
SUPERVISION_ROLES = frozenset({Role.SUPERVISOR, Role.DISCIPLINE_INSPECTOR, Role.ADMIN, Role.LEADER})
OVERSIGHT_ROLES = frozenset({Role.SUPERVISOR, Role.DISCIPLINE_INSPECTOR})  # see overdue tasks below their units
REPORT_ROLES = SUPERVISION_ROLES | {Role.TOWNSHIP_RECEPTION, Role.COUNTY_WINDOW}
COMPLAINT_ROLES = frozenset({Role.DISCIPLINE_INSPECTOR, Role.ADMIN})  # read complaints in full and close them
CATALOG_APPROVER_ROLES = frozenset({Role.ADMIN, Role.LEADER})  # the catalog proposals and their approval
BATCH_ROLES = frozenset({Role.TOWNSHIP_AGENT, Role.TOWNSHIP_RECEPTION})  # a township's batches from the window


class TaskState(Vocabulary):
    READY = ("ready", "待办理", "Ready")
    COMPLETED = ("completed", "已完成", "Completed")
    CANCELLED = ("cancelled", "已取消", "Cancelled")


class TimerKind(Vocabulary):
    DUE_SOON = ("due_soon", "即将到期", "Due soon")
    OVERDUE = ("overdue", "已超期", "Overdue")
    RESUBMISSION = ("resubmission", "补交材料期限", "Deadline for missing materials")
    # A timer event of the diagram (intermediate or boundary; date, duration or cycle) waiting in a real case.
    PROCESS = ("process_timer", "流程定时器", "Process timer")


class WaitKind(Vocabulary):
    """What a test run's workflow waits on, and what the analyst sends to move it on."""

    TIMER = ("timer", "定时器", "Timer")
    MESSAGE = ("message", "消息", "Message")
    SIGNAL = ("signal", "信号", "Signal")
    MANUAL = ("manual", "人工步骤", "Manual step")
    EVENT = ("event", "其他事件", "Other event")


class EventType(Vocabulary):
    """Every type the append-only event log records (each command's one event, `Work.event` in the pipeline)."""

    # An item's life
    CASE_OPENED = ("case_opened", "事项受理", "Item opened")
    TEST_RUN_STARTED = ("test_run_started", "开始测试运行", "Test run started")
    TEST_RUN_DRIVEN = ("test_run_driven", "测试运行推进", "Test run moved on")
    TASK_COMPLETED = ("task_completed", "办理步骤完成", "Step completed")
    TASK_CLAIMED = ("task_claimed", "签收任务", "Task taken")
    TASK_UNCLAIMED = ("task_unclaimed", "退签任务", "Task released")
    TASK_DELEGATED = ("task_delegated", "转交同事", "Task delegated")
    TASK_RETURNED = ("task_returned", "退回", "Returned")
    TASK_WITHDRAWN = ("task_withdrawn", "撤回", "Hand-over withdrawn")
    TASK_TRANSFERRED = ("task_transferred", "转办", "Transferred to another unit")
    DEPARTMENT_ADDED = ("department_added", "加签部门", "Department added")
    DEPARTMENT_REMOVED = ("department_removed", "减签部门", "Department removed")
    LEAD_DEPARTMENT_CHANGED = ("lead_department_changed", "变更牵头部门", "Lead department changed")
    ATTACHMENT_ADDED = ("attachment_added", "上传材料", "File attached")
    TASK_DUE_SOON = ("task_due_soon", "即将到期", "Due soon")
    TASK_OVERDUE = (
        "task_overdue",
        "已逾期:已报督查人员和乡纪委",
        "Overdue: reported to the supervisor and the discipline committee",
    )
    RESUBMISSION_DUE = ("resubmission_due", "补交材料期限已到", "Deadline for the missing materials has passed")
    MATERIALS_PROMISE_BROKEN = (
        "materials_promise_broken",
        "容缺受理承诺期限已过,材料仍未补齐",
        "Materials promised under acceptance-with-materials-to-follow are late",
    )
    MATERIALS_PROMISE_KEPT = ("materials_promise_kept", "容缺材料已补齐", "Promised materials are on file")
    PROCESS_TIMER_FIRED = ("process_timer_fired", "流程定时器到时", "Process timer fired")
    PROCESS_TIMER_FAILED = ("process_timer_failed", "流程定时器出错", "Process timer failed")
    TIMER_DISCARDED = ("timer_discarded", "清除失效的期限提醒", "Stale deadline timer discarded")
    CASE_MIGRATED = ("case_migrated", "迁移到新流程版本", "Moved to a new process version")
    DEADLINE_RECOMPUTED = ("deadline_recomputed", "办理时限重新计算", "Deadlines recomputed")
    RESIDENT_RATED = ("resident_rated", "群众评价", "Rated by the resident")
    TASK_URGED = ("task_urged", "催办", "Urged")
    CASE_COPIED = ("case_copied", "抄送", "Copied to colleagues")
    # Texts to the resident (the SMS outbox)
    SMS_SENT = ("sms_sent", "短信已发送", "Text message sent")
    SMS_RETRY = ("sms_retry", "短信发送未成功,稍后重试", "Text message not delivered; will retry")
    SMS_FAILED = ("sms_failed", "短信发送失败", "Text message failed")
    SMS_DEFERRED = ("sms_deferred", "短信达到当日上限,顺延发送", "Text message deferred: daily limit reached")
    SMS_REQUEUED = ("sms_requeued", "短信重新发送", "Text message queued again")
    # Batches between the county window and a township
    BATCH_CREATED = ("batch_created", "生成交接批次", "Batch created")
    BATCH_RECEIVED = ("batch_received", "签收交接批次", "Batch received")
    BATCH_ITEM_RECEIVED = ("batch_item_received", "乡级代办员签收", "Received by the township agent")
    # Oversight
    COMPLAINT_FILED = ("complaint_filed", "群众投诉", "Complaint filed")
    CALLBACKS_DRAWN = ("callbacks_drawn", "抽取回访样本", "Call-backs drawn")
    CALLBACK_RECORDED = ("callback_recorded", "记录回访结果", "Call-back recorded")
    REVIEW_CLOSED = ("review_closed", "复查结束", "Review closed")
    RECTIFICATION_CLOSED = ("rectification_closed", "差评整改办结(已回访)", "Rectification closed after a call-back")
    COMPLAINT_CLOSED = ("complaint_closed", "投诉办结", "Complaint closed")
    # The catalog and its approval (准入审批)
    CATALOG_ITEM_PROPOSED = ("catalog_item_proposed", "提出新增事项", "Catalog item proposed")
    CATALOG_PROPOSAL_REVIEWED = ("catalog_proposal_reviewed", "审核新增事项", "Catalog proposal reviewed")
    CATALOG_ITEM_APPROVED = ("catalog_item_approved", "批准新增事项", "Catalog item approved")
    CATALOG_ITEM_REJECTED = ("catalog_item_rejected", "驳回新增事项", "Catalog item rejected")
    CATALOG_ITEM_CHANGED = ("catalog_item_changed", "修改事项", "Catalog item changed")
    # Administration
    CALENDAR_CHANGED = ("calendar_changed", "修改节假日", "Calendar changed")
    LEDGER_IMPORTED = ("ledger_imported", "导入台账", "Ledger imported")
    PROCESS_DRAFT_SAVED = ("process_draft_saved", "保存流程草稿", "Process draft saved")
    PROCESS_DEPLOYED = ("process_deployed", "发布流程", "Process deployed")
    UNIT_CREATED = ("unit_created", "新增单位", "Unit created")
    UNIT_RENAMED = ("unit_renamed", "单位更名", "Unit renamed")
    UNIT_MOVED = ("unit_moved", "单位调整上级", "Unit moved")
    UNIT_RETIRED = ("unit_retired", "撤销单位", "Unit retired")
    USER_CREATED = ("user_created", "新增用户", "User created")
    USER_ACTIVATED = ("user_activated", "启用用户", "User activated")
    USER_DEACTIVATED = ("user_deactivated", "停用用户", "User deactivated")
    PASSWORD_RESET = ("password_reset", "重置密码", "Password reset")
    SIGNED_OUT = ("signed_out", "退出登录", "Signed out")
    ROLE_ASSIGNED = ("role_assigned", "分配角色", "Role assigned")
    ROLE_REMOVED = ("role_removed", "撤销角色", "Role removed")
    PEOPLE_IMPORTED = ("people_imported", "导入人员", "People imported")
    DEMO_COUNTY_LOADED = ("demo_county_loaded", "载入演示县", "Demo county loaded")
    # Asking (问事): the household register, visits and the needs diary, residents' requests
    HOUSEHOLD_REGISTERED = ("household_registered", "登记农户", "Household registered")
    HOUSEHOLD_CHANGED = ("household_changed", "修改农户信息", "Household changed")
    HOUSEHOLDS_IMPORTED = ("households_imported", "导入农户台账", "Household ledger imported")
    VISIT_RECORDED = ("visit_recorded", "记录走访", "Visit recorded")
    RESIDENT_REQUEST_RECEIVED = ("resident_request_received", "群众网上诉求", "Resident's request received")
    RESIDENT_REQUEST_CLOSED = ("resident_request_closed", "诉求已回复", "Resident's request answered")
    CONTACT_CARD_CHANGED = ("contact_card_changed", "修改联系卡电话", "Contact card phone changed")
    # The village agent's phone
    DEVICE_SIGNED_IN = ("device_signed_in", "手机登录", "Phone signed in")
    DEVICE_REVOKED = ("device_revoked", "注销手机登录", "Phone sign-in revoked")
    IDEMPOTENCY_KEYS_PURGED = (
        "idempotency_keys_purged",
        "清理过期的重复提交记录",
        "Old repeat-request records removed",
    )
    # Notifications
    NOTIFICATIONS_READ = ("notifications_read", "阅读通知", "Notifications read")
    PHONE_SETTINGS_CHANGED = ("phone_settings_changed", "修改短信提醒设置", "Text alert settings changed")


class BatchStatus(Vocabulary):
    """A window batch (交接批次): waiting for its office day, signed for, or emptied because every
    item in it was handed over another way (engine/cases/batch_membership.py)."""

    SCHEDULED = ("scheduled", "待交接", "Scheduled")
    RECEIVED = ("received", "已签收", "Received")
    CANCELLED = ("cancelled", "已取消", "Cancelled")


class ContactChannel(Vocabulary):
    """How an agent and a household met (走访、电话、来访、网上诉求、民情热线)."""

    HOME_VISIT = ("home_visit", "入户走访", "Home visit")
    PHONE = ("phone", "电话联系", "Phone call")
    WALK_IN = ("walk_in", "来村办事", "Walk-in")
    ONLINE = ("online", "网上诉求", "Online request")
    HOTLINE = ("hotline", "民情热线", "Hotline")


class NeedOutcome(Vocabulary):
    """What became of a need in the needs diary (民情日记)."""

    ANSWERED = ("answered", "当场解答", "Answered on the spot")
    CASE = ("case", "受理为代办事项", "Opened as a proxy item")
    REFERRED = ("referred", "转交调解", "Referred to mediation")
    DECLINED = ("declined", "不予受理", "Declined")


class RequestStatus(Vocabulary):
    """A resident's online request: waiting for the agent's call-back, or answered."""

    AWAITING_CALLBACK = ("awaiting_callback", "待联系", "Waiting for a call-back")
    CALLED_BACK = ("called_back", "已回复", "Answered")


class NotificationKind(Vocabulary):
    """Why a person is told something in the app (engine/cases/notices.py writes them in the
    command that causes them)."""

    NEW_TASK = ("new_task", "新待办", "New task")
    RETURNED_TO_ME = ("returned_to_me", "退回给我", "Returned to you")
    URGED = ("urged", "被催办", "Urged")
    DUE_SOON_REMINDER = ("due_soon_reminder", "待办即将到期", "Task due soon")
    OVERDUE_REMINDER = ("overdue_reminder", "待办已逾期", "Task overdue")
    COPIED_TO_ME = ("copied_to_me", "抄送给我", "Copied to you")
    APPROVAL_WAITING = ("approval_waiting", "待审批", "Approval waiting")
    RECTIFICATION_OPENED = ("rectification_opened", "差评待整改", "Poor rating to rectify")
    MATERIALS_OVERDUE = ("materials_overdue", "容缺材料逾期未补", "Promised materials are late")


# What also goes to a staff member's phone until they choose (config/sms.toml [staff_templates]): work
# pressed on them or late, and work sent back; the rest stays in the app.
PHONE_DEFAULT_KINDS = frozenset(
    {NotificationKind.URGED, NotificationKind.OVERDUE_REMINDER, NotificationKind.RETURNED_TO_ME}
)


# The event a timer of each kind records when it fires.
TIMER_EVENTS: dict[TimerKind, EventType] = {
    TimerKind.DUE_SOON: EventType.TASK_DUE_SOON,
    TimerKind.OVERDUE: EventType.TASK_OVERDUE,
    TimerKind.RESUBMISSION: EventType.RESUBMISSION_DUE,
    TimerKind.PROCESS: EventType.PROCESS_TIMER_FIRED,
}


# Every vocabulary by the name templates and the OpenAPI document use for it.
class MaterialState(Vocabulary):
    """Where one of an item's required materials stands (the case panel's checklist)."""

    PROVIDED = ("provided", "已收", "Provided")
    SUPPLIED = ("supplied", "已补交", "Supplied later")
    PROMISED = ("promised", "容缺待补", "Promised (accepted with materials to follow)")
    MISSING = ("missing", "缺", "Missing")


class JointMode(Vocabulary):
    """How the departments of a joint handling decide (a catalog item's `joint_mode`; the diagram
    reads it: the joint handling's completion condition and the 会签方式? gateway)."""

    ALL = ("all", "会签(全部部门同意)", "All departments (countersign)")
    ANY = ("any", "或签(任一部门答复即可)", "Any one department (first answer decides)")
    VOTE = ("vote", "票签(按比例表决)", "Vote (a share of departments must agree)")


class PartState(Vocabulary):
    """A department's part in a joint handling."""

    READY = ("ready", "办理中", "In hand")
    COMPLETED = ("completed", "已答复", "Answered")
    RETURNED = ("returned", "已退回", "Returned")
    CANCELLED = ("cancelled", "已撤销", "Cancelled")


class Rating(Vocabulary):
    """The national 好差评 scale, best first. The agent's recorded rating and the resident's own are
    kept side by side (cases.rating, cases.resident_rating); the resident's counts when given."""

    VERY_SATISFIED = ("very_satisfied", "非常满意", "Very satisfied")
    SATISFIED = ("satisfied", "满意", "Satisfied")
    BASICALLY_SATISFIED = ("basically_satisfied", "基本满意", "Basically satisfied")
    DISSATISFIED = ("dissatisfied", "不满意", "Dissatisfied")
    VERY_DISSATISFIED = ("very_dissatisfied", "非常不满意", "Very dissatisfied")


# 好评: counts as satisfied in the figures. 差评: opens a rectification (整改) for the responsible unit.
GOOD_RATINGS: frozenset[Rating] = frozenset({Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.BASICALLY_SATISFIED})
BAD_RATINGS: frozenset[Rating] = frozenset({Rating.DISSATISFIED, Rating.VERY_DISSATISFIED})


class RectificationStatus(Vocabulary):
    """A 差评's rectification (整改): open until the call-back (回访) closes it."""

    OPEN = ("open", "整改中", "Being rectified")
    CLOSED = ("closed", "已整改并回访", "Rectified, resident called back")


VOCABULARIES: dict[str, type[Vocabulary]] = {
    "case_status": CaseStatus,
    "item_kind": ItemKind,
    "joint_mode": JointMode,
    "level": Level,
    "unit_kind": UnitKind,
    "role": Role,
    "task_state": TaskState,
    "timer_kind": TimerKind,
    "event_type": EventType,
    "batch_status": BatchStatus,
    "material_state": MaterialState,
    "part_state": PartState,
    "contact_channel": ContactChannel,
    "need_outcome": NeedOutcome,
    "request_status": RequestStatus,
    "notification_kind": NotificationKind,
    "wait_kind": WaitKind,
    "rating": Rating,
    "rectification_status": RectificationStatus,
}


def event_type(value: str) -> EventType:
    """The event type named `value`; ValueError for a type the log does not know, so a typo
    in a command fails its first test instead of writing an event no page or report reads."""
    try:
        return EventType(value)
    except ValueError:
        raise ValueError(f"unknown event type: {value!r}") from None


def lookup(code: object, vocabulary: str | None = None) -> Vocabulary | None:
    """The member for `code`: in the named vocabulary, or else the first vocabulary that has it
    (a level and a unit kind share codes; name the vocabulary where that matters)."""
    if isinstance(code, Vocabulary):
        return code
    if not isinstance(code, str):
        return None
    kinds = [VOCABULARIES[vocabulary]] if vocabulary else list(VOCABULARIES.values())
    for kind in kinds:
        if code in kind._value2member_map_:
            return kind(code)
    return None


def label(code: object, locale: object = None, vocabulary: str | None = None) -> str:
    """The label of a code in the locale's language; an unknown code is shown as itself."""
    member = lookup(code, vocabulary)
    if member is None:
        return "" if code is None else str(code)
    return member.label(locale)
