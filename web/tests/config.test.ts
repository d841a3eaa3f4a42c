import { describe, expect, it } from "vitest";
import { pageSetting } from "../src/config";

describe("page settings", () => {
  it("reads what the API wrote into the page", () => {
    const doc = document.implementation.createHTMLDocument("t");
    doc.head.innerHTML = '<meta name="offsite:tencent-map-key" content=" ABCDE-12345 " />';
    expect(pageSetting("tencent-map-key", doc)).toBe("ABCDE-12345");
  });

  it("is empty when the deployment set none", () => {
    const doc = document.implementation.createHTMLDocument("t");
    expect(pageSetting("tencent-map-key", doc)).toBe("");
  });
});
