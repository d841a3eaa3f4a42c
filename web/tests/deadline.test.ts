import { describe, expect, it } from "vitest";
import { countdown, shortTime } from "../src/util/deadline";

const now = Date.parse("2026-12-02T06:00:00Z");

describe("deadline countdown", () => {
  it("counts down hours and minutes, days for long ones", () => {
    expect(countdown("2026-12-02T08:05:00Z", now)).toEqual({ text: "剩余 2小时5分", overdue: false, soon: false });
    expect(countdown("2026-12-04T09:00:00Z", now).text).toBe("剩余 2天3小时");
  });

  it("shows seconds in the last hour, marked soon", () => {
    expect(countdown("2026-12-02T06:12:08Z", now)).toEqual({ text: "剩余 12分08秒", overdue: false, soon: true });
  });

  it("marks a passed deadline overdue", () => {
    expect(countdown("2026-12-02T03:30:00+08:00", now)).toEqual({ text: "已超期 10小时30分", overdue: true, soon: false });
  });

  it("trusts the server's overdue flag without a deadline", () => {
    expect(countdown(null, now, true)).toEqual({ text: "已超期", overdue: true, soon: false });
    expect(countdown(null, now).text).toBe("无期限");
  });

  it("writes times in Shanghai time", () => {
    expect(shortTime("2026-12-02T06:05:00Z")).toBe("12/02 14:05");
  });
});
