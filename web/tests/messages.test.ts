import { describe, expect, it } from "vitest";
import { ERROR_MESSAGES, GENERIC_ERROR, messageFor } from "../src/api/messages";
// The exported document itself, not the generated types: a code added to the API fails here.
import document from "../../openapi/offsite.json";


const codes: string[] = document.components.schemas.ErrorCode.enum;

describe("every error code has a Chinese message", () => {
  it("covers the ErrorCode enum of the OpenAPI document, and nothing else", () => {
    expect(codes.length).toBeGreaterThan(50);
    expect(Object.keys(ERROR_MESSAGES).sort()).toEqual([...codes].sort());
  });

  it.each(codes)("%s reads as Chinese", (code) => {
    expect(messageFor(code)).toMatch(/[\u4e00-\u9fff]/);
  });

  it("falls back to a generic message", () => {
    expect(messageFor("never_heard_of_it")).toBe(GENERIC_ERROR);
    expect(messageFor(undefined)).toBe(GENERIC_ERROR);
    expect(messageFor("toString")).toBe(GENERIC_ERROR);
  });
});
