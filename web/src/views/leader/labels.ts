// Chinese labels of the leader's pages: states, timeline actions, evidence flags.

export const STATE_OPTIONS = [
  { text: "全部状态", value: "" },
  { text: "待受理", value: "pending_triage" },
  { text: "已派遣", value: "dispatched" },
  { text: "处置中", value: "in_progress" },
  { text: "限期整改", value: "awaiting_rectification" },
  { text: "已立案", value: "filed" },
  { text: "待核查", value: "pending_review" },
  { text: "已结案", value: "closed" },
  { text: "不予受理", value: "dismissed" },
];

const STATES: Record<string, string> = Object.fromEntries(
  STATE_OPTIONS.filter((o) => o.value).map((o) => [o.value, o.text]),
);

export const stateLabel = (state: string | null | undefined): string =>
  (state && STATES[state]) || state || "";

const ACTIONS: Record<string, string> = {
  created: "上报",
  dispatch: "派遣",
  dismiss: "不予受理",
  assign: "派单",
  release: "收回任务",
  accept: "接收任务",
  verify: "现场核查",
  order_rectification: "责令限期整改",
  recheck: "复查",
  file: "立案查处",
  submit_review: "提交核查",
  close: "结案",
  return: "退回",
  reopen: "返工",
  comment: "备注",
  escalate: "超期升级",
  evidence: "证据入库",
  observation: "摄像头复看",
  notify_party: "通知当事人",
  confirm_correction: "确认已整改",
  inspect: "日常检查",
  declare_emergency: "列为突发事件",
  send_responders: "派警",
  acknowledge: "响应",
  arrive: "到场",
};

export const actionLabel = (action: string): string => ACTIONS[action] ?? action;

const FLAGS: Record<string, string> = {
  far_from_case: "拍摄地点离案发地过远",
  outside_task_window: "拍摄时间不在任务时段内",
  no_location: "照片无定位",
  no_capture_time: "照片无拍摄时间",
  clock_mismatch: "照片时间与手机时间不符",
  camera_not_reviewed: "摄像头未完成法制审核",
};

export const flagLabel = (flag: string): string => FLAGS[flag] ?? flag;

/** 0.8333 → "83.3%"; no figure → "—". */
export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
}

const SYSTEM_NOTES: Record<string, string> = {
  "auto-dispatch": "自动派遣",
};

/** The Chinese of a note the system wrote, or "" when there is none. */
export const systemNote = (note: string): string => SYSTEM_NOTES[note] ?? "";
