import { describe, expect, test } from "bun:test";
import { CONTRACT_STATUS, mapPixverseVideo, statusAnswer, decodeMediaUrl, type PixverseVideo } from "../../src/domain/status.ts";

const video = (status: number, url: string | null = null, size: [number, number] | null = null): PixverseVideo => ({
  id: "1",
  status,
  url,
  outputWidth: size?.[0] ?? null,
  outputHeight: size?.[1] ?? null,
});

const URL_OK = "https://media.pixverse.ai/pixverse%2Fmp4%2Fmedia%2Fweb%2Fori%2Fa.mp4";

describe("Pixverse video_status mapping", () => {
  const table: [string, PixverseVideo, string][] = [
    ["1 with a URL is done", video(1, URL_OK), "succeeded"],
    ["1 without a URL has no output", video(1), "failed"],
    ["1 with the default.mp4 placeholder has no output", video(1, "https://media.pixverse.ai/media/default.mp4"), "failed"],
    ["1 with the default.jpg placeholder has no output", video(1, "https://media.pixverse.ai/media/default.jpg"), "failed"],
    ["5 (waiting) is generating", video(5), "pending"],
    ["9 (queued at busy times or off-peak) is generating, not a failure", video(9), "pending"],
    ["10 (processing) is generating", video(10), "pending"],
    ["10 right after creation (a URL that does not work yet, no output size) is generating", video(10, URL_OK, [0, 0]), "pending"],
    ["10 with a URL and an output size is done (pixsim7: how the web app reports some finished videos)", video(10, URL_OK, [640, 360]), "succeeded"],
    ["10 with an output size but no URL is still generating", video(10, null, [640, 360]), "pending"],
    ["7 (not approved) is moderation", video(7), "moderated"],
    ["17 (moderation-filtered) is moderation", video(17), "moderated"],
    ["8 failed", video(8), "failed"],
    ["6 deleted", video(6), "deleted"],
    ["0 is not a code Pixverse defines: still generating until the deadline", video(0), "unknown"],
    ["3 (filtered, as pixsim7 saw it) is moderation", video(3), "moderated"],
    ["4 (failed, as pixsim7 saw it) failed", video(4), "failed"],
    ["-1 (failed, as pixsim7 saw it) failed", video(-1), "failed"],
    ["2 is not a code any source maps: still generating until the deadline", video(2), "unknown"],
    ["an unknown code stays open", video(42), "unknown"],
  ];
  for (const [name, input, kind] of table) {
    test(`status ${name}`, () => expect(mapPixverseVideo(input).kind).toBe(kind as never));
  }

  test("a finished video's URL has its %2F escapes decoded", () => {
    const out = mapPixverseVideo(video(1, URL_OK));
    expect(out).toEqual({ kind: "succeeded", url: "https://media.pixverse.ai/pixverse/mp4/media/web/ori/a.mp4" });
  });

  test("a URL with a broken escape is kept rather than thrown on", () => {
    expect(decodeMediaUrl("https://x/a%E0%A4%A.mp4")).toBe("https://x/a%E0%A4%A.mp4");
  });
});

describe("contract answers", () => {
  test("every job state answers one of exactly four strings, or the URL", () => {
    expect(statusAnswer("queued", null)).toEqual({ status: "Generating" });
    expect(statusAnswer("submitting", null)).toEqual({ status: "Generating" });
    expect(statusAnswer("generating", null)).toEqual({ status: "Generating" });
    expect(statusAnswer("succeeded", "https://m/x.mp4")).toEqual({ url: "https://m/x.mp4" });
    expect(statusAnswer("failed", null)).toEqual({ status: "Generation failed" });
    expect(statusAnswer("moderated", null)).toEqual({ status: "Contents moderation failed" });
    expect(statusAnswer("deleted", null)).toEqual({ status: "Deleted" });
    expect(Object.values(CONTRACT_STATUS).sort()).toEqual(["Contents moderation failed", "Deleted", "Generating", "Generation failed"]);
  });
});
