import { describe, expect, it } from "vitest";
import { ageText, distanceText, haversineM } from "../src/geo/distance";
import { actionLabel, flagLabel, percent, stateLabel, systemNote } from "../src/views/leader/labels";

describe("distance to a case", () => {
  it("measures metres on the ground", () => {
    const a = { lng: 121.4054755, lat: 30.9955505 };
    expect(haversineM(a, a)).toBe(0);
    expect(haversineM(a, { lng: 121.4096, lat: 30.9955505 })).toBeCloseTo(393.5, 0);
    expect(distanceText(393.5)).toBe("390 米");
    expect(distanceText(2440)).toBe("2.4 公里");
  });

  it("says how old a position is", () => {
    const now = Date.parse("2026-12-02T10:00:00Z");
    expect(ageText(null, now)).toBe("无定位");
    expect(ageText("2026-12-02T09:59:40Z", now)).toBe("刚刚");
    expect(ageText("2026-12-02T09:48:00Z", now)).toBe("12 分钟前");
    expect(ageText("2026-12-02T07:00:00Z", now)).toBe("3 小时前");
    expect(ageText("2026-11-30T09:00:00Z", now)).toBe("2 天前");
  });
});

describe("the leader's labels", () => {
  it("are Chinese, and fall back to the code", () => {
    expect(stateLabel("pending_review")).toBe("待核查");
    expect(actionLabel("order_rectification")).toBe("责令限期整改");
    expect(flagLabel("far_from_case")).toBe("拍摄地点离案发地过远");
    expect(actionLabel("something_new")).toBe("something_new");
    expect(percent(0.8333)).toBe("83.3%");
    expect(percent(null)).toBe("—");
    expect(systemNote("auto-dispatch")).toBe("自动派遣");
    expect(systemNote("some-internal-code")).toBe("");
  });
});
