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
      account: "ann@example.com",
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

  test("refuses a submit or a reconciliation that names no account", () => {
    expect(requestSchema.safeParse({ op: "submit", id: 7, timeoutMs: 1000, jobId: 3, kind: "t2v", prompt: "a cat", settings: TEST_SETTINGS }).success).toBe(false);
    const reconcile = { op: "reconcile", id: 8, timeoutMs: 1000, jobId: 3, prompt: "a cat", submittedAt: new Date().toISOString(), excludeIds: [] };
    expect(requestSchema.safeParse(reconcile).success).toBe(false);
    expect(requestSchema.safeParse({ ...reconcile, account: "ann@example.com" }).success).toBe(true);
  });

  test("accepts an activation naming the accounts to drive, none included", () => {
    expect(requestSchema.safeParse({ op: "activate", id: 9, timeoutMs: 1000, accounts: ["ann@example.com"] }).success).toBe(true);
    expect(requestSchema.safeParse({ op: "activate", id: 9, timeoutMs: 1000, accounts: [] }).success).toBe(true);
    expect(requestSchema.safeParse({ op: "activate", id: 9, timeoutMs: 1000 }).success).toBe(false);
  });

  test("a poll names each id's account; an owner with a non-numeric id is refused", () => {
    expect(requestSchema.safeParse({ op: "poll", id: 1, timeoutMs: 5, ids: ["12"], owners: { "12": "ann@example.com" } }).success).toBe(true);
    expect(requestSchema.safeParse({ op: "poll", id: 1, timeoutMs: 5, ids: ["12"], owners: { x: "ann@example.com" } }).success).toBe(false);
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

  test("an account on standby (its lease held elsewhere) is a documented state, with or without credits known", () => {
    const status = { email: "a@b.c", state: "standby", since: "x", capacity: 0, inFlight: 0 };
    expect(childMessageSchema.safeParse({ type: "state", accounts: [status] }).success).toBe(true);
    expect(childMessageSchema.safeParse({ type: "state", accounts: [{ ...status, state: "ready", credits: 480 }] }).success).toBe(true);
  });

  test("refuses an account state outside the documented set", () => {
    const state = { type: "state", accounts: [{ email: "a@b.c", state: "sleepy", since: "x", capacity: 1, inFlight: 0 }] };
    expect(childMessageSchema.safeParse(state).success).toBe(false);
  });
});
