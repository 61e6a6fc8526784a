// The sidecar protocol's schemas: what each side accepts from the other.
import { describe, expect, test } from "bun:test";
import { childMessageSchema, requestSchema } from "../../src/sidecar/protocol.ts";
import { TEST_SETTINGS } from "../support/settings.ts";

describe("requests", () => {
  test("accepts a submit with an id, a timeout and an image", () => {
    const parsed = requestSchema.safeParse({
      op: "submit",
      id: 7,
      timeoutMs: 1000,
      jobId: 3,
      kind: "i2v",
      prompt: "a cat",
      settings: TEST_SETTINGS,
      image: { base64: "iVBORw0KGgo=", type: "png", width: 1, height: 1 },
    });
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  test("refuses a submit without its generation settings", () => {
    expect(requestSchema.safeParse({ op: "submit", id: 7, timeoutMs: 1000, jobId: 3, kind: "t2v", prompt: "a cat" }).success).toBe(false);
    const noAudio = { ...TEST_SETTINGS, audio: undefined };
    expect(requestSchema.safeParse({ op: "submit", id: 7, timeoutMs: 1000, jobId: 3, kind: "t2v", prompt: "a cat", settings: noAudio }).success).toBe(false);
  });

  test("refuses a request without an id or a timeout", () => {
    expect(requestSchema.safeParse({ op: "poll", ids: [] }).success).toBe(false);
    expect(requestSchema.safeParse({ op: "poll", id: 1, ids: [] }).success).toBe(false);
  });

  test("refuses an unknown op and a non-numeric Pixverse id", () => {
    expect(requestSchema.safeParse({ op: "format-disk", id: 1, timeoutMs: 5 }).success).toBe(false);
    expect(requestSchema.safeParse({ op: "poll", id: 1, timeoutMs: 5, ids: ["12; drop"] }).success).toBe(false);
  });
});

describe("child messages", () => {
  test("accepts a submit reply and an error as {code, message}", () => {
    const reply = { type: "reply", id: 1, reply: { op: "submit", result: { ok: false, kind: "unknown_outcome", message: "crash" } } };
    expect(childMessageSchema.safeParse(reply).success).toBe(true);
    expect(childMessageSchema.safeParse({ type: "error", id: 1, error: { code: "internal", message: "boom" } }).success).toBe(true);
  });

  test("refuses a submit result with a kind the dispatcher does not know", () => {
    const reply = { type: "reply", id: 1, reply: { op: "submit", result: { ok: false, kind: "maybe", message: "?" } } };
    expect(childMessageSchema.safeParse(reply).success).toBe(false);
  });

  test("refuses an account state outside the documented set", () => {
    const state = { type: "state", accounts: [{ email: "a@b.c", state: "sleepy", since: "x", capacity: 1, inFlight: 0 }] };
    expect(childMessageSchema.safeParse(state).success).toBe(false);
  });
});
