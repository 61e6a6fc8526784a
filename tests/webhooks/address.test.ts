// Which callback URLs are refused and why, the signature a receiver checks, and the retry delays.
import { describe, expect, test } from "bun:test";
import { callbackUrlProblem, nonPublicKind } from "../../src/webhooks/address.ts";
import { signatureHeader, verifySignature, webhookBody } from "../../src/webhooks/signature.ts";
import { backoffMs } from "../../src/webhooks/worker.ts";
import { createHmac } from "node:crypto";

const ON = { enabled: true, allowPrivate: false };

describe("callback URL checks", () => {
  const refused: [string, RegExp][] = [
    ["http://127.0.0.1/hook", /loopback/],
    ["http://127.255.1.2:8080/", /loopback/],
    ["http://0x7f.1/", /loopback/], // the URL parser reads it as 127.0.0.1
    ["http://2130706433/", /loopback/],
    ["http://10.1.2.3/", /private/],
    ["http://172.16.0.1/", /private/],
    ["http://172.31.255.255/", /private/],
    ["http://192.168.1.1/", /private/],
    ["http://169.254.169.254/latest/meta-data", /link-local/],
    ["http://100.64.0.1/", /CGNAT/],
    ["http://0.0.0.0/", /unspecified/],
    ["http://224.0.0.1/", /multicast/],
    ["http://255.255.255.255/", /reserved/],
    ["http://[::1]/", /loopback/],
    ["http://[::]/", /unspecified/],
    ["http://[fe80::1]/", /link-local/],
    ["http://[fc00::1]/", /unique-local/],
    ["http://[fd12:3456::1]/", /unique-local/],
    ["http://[ff02::1]/", /multicast/],
    ["http://[::ffff:127.0.0.1]/", /loopback/],
    ["http://[::ffff:10.0.0.1]/", /private/],
    ["http://[::ffff:169.254.169.254]/", /link-local/],
    ["http://[64:ff9b::7f00:1]/", /loopback/],
    ["http://[::ffff:0:127.0.0.1]/", /loopback/],
    ["http://[64:ff9b:1::a00:1]/", /NAT64/],
    ["http://[2002:c0a8:0101::1]/", /private/],
    ["http://localhost/", /localhost/],
    ["http://LOCALHOST./", /localhost/],
    ["http://api.localhost:3000/", /localhost/],
  ];
  for (const [url, why] of refused) {
    test(`refuses ${url}`, () => {
      expect(callbackUrlProblem(url, ON)).toMatch(why);
    });
  }

  test("refuses other schemes, relative URLs, credentials and URLs over 2048 characters", () => {
    expect(callbackUrlProblem("ftp://example.com/x", ON)).toMatch(/http or https/);
    expect(callbackUrlProblem("file:///etc/passwd", ON)).toMatch(/http or https/);
    expect(callbackUrlProblem("javascript:alert(1)", ON)).toMatch(/http or https/);
    expect(callbackUrlProblem("/hooks/x", ON)).toMatch(/absolute/);
    expect(callbackUrlProblem("https://user:pw@example.com/", ON)).toMatch(/user name or password/);
    expect(callbackUrlProblem("https://user@example.com/", ON)).toMatch(/user name or password/);
    const long = `https://example.com/${"a".repeat(2049 - "https://example.com/".length)}`;
    expect(long.length).toBe(2049);
    expect(callbackUrlProblem(long, ON)).toMatch(/at most 2048/);
    expect(callbackUrlProblem(long.slice(0, 2048), ON)).toBeNull();
  });

  test("accepts public addresses and host names (names are checked again when delivering)", () => {
    for (const url of ["https://example.com/hooks?token=abc", "http://93.184.216.34:8080/x", "https://[2606:4700::1111]/", "http://[::ffff:8.8.8.8]/", "https://hooks.example.org"]) {
      expect(callbackUrlProblem(url, ON)).toBeNull();
    }
  });

  test("WEBHOOK_ALLOW_PRIVATE lets private addresses through but not other schemes or credentials", () => {
    const open = { enabled: true, allowPrivate: true };
    expect(callbackUrlProblem("http://127.0.0.1:9/x", open)).toBeNull();
    expect(callbackUrlProblem("http://localhost/x", open)).toBeNull();
    expect(callbackUrlProblem("ftp://127.0.0.1/", open)).toMatch(/http or https/);
    expect(callbackUrlProblem("http://a:b@127.0.0.1/", open)).toMatch(/user name or password/);
  });

  test("with webhooks off every callback URL is refused, saying why", () => {
    expect(callbackUrlProblem("https://example.com/", { enabled: false, allowPrivate: true })).toMatch(/webhooks are off/);
  });

  test("classifies resolved addresses as the delivery sees them", () => {
    expect(nonPublicKind("127.0.0.1")).toBe("loopback");
    expect(nonPublicKind("172.17.0.2")).toBe("private");
    expect(nonPublicKind("::ffff:192.168.0.1")).toBe("private");
    expect(nonPublicKind("fe80::1%eth0")).toBe("link-local");
    expect(nonPublicKind("8.8.8.8")).toBeNull();
    expect(nonPublicKind("2001:4860:4860::8888")).toBeNull();
    expect(nonPublicKind("172.32.0.1")).toBeNull();
    expect(nonPublicKind("100.128.0.1")).toBeNull();
  });
});

describe("signature", () => {
  const secret = "s3cret-s3cret-s3cret";
  const body = webhookBody({ eventId: "e-1", videoId: 7, appBundleId: "com.a", apphudUserId: "u", state: "succeeded", resultUrl: "https://cdn/x.mp4" });

  test("is HMAC-SHA256 of `<t>.<body>` in hex, with t in whole seconds", () => {
    const header = signatureHeader(secret, body, 1_767_225_600.9);
    const expected = createHmac("sha256", secret).update(`1767225600.${body}`).digest("hex");
    expect(header).toBe(`t=1767225600,v1=${expected}`);
  });

  test("verifies only the same body under the same secret within the tolerance", () => {
    const now = 1_767_225_600;
    const header = signatureHeader(secret, body, now);
    expect(verifySignature(secret, body, header, 300, now + 10)).toBe(true);
    expect(verifySignature(secret, body + " ", header, 300, now)).toBe(false);
    expect(verifySignature("another-secret-entirely", body, header, 300, now)).toBe(false);
    expect(verifySignature(secret, body, header, 300, now + 301)).toBe(false);
    expect(verifySignature(secret, body, null)).toBe(false);
  });

  test("the body names the event and, on success, the status and url", () => {
    expect(JSON.parse(body)).toEqual({
      event: "video.finished",
      event_id: "e-1",
      video_id: 7,
      app_bundle_id: "com.a",
      apphud_user_id: "u",
      status: "Generation successful",
      url: "https://cdn/x.mp4",
    });
    const moderated = JSON.parse(webhookBody({ eventId: "e-2", videoId: 8, appBundleId: "a", apphudUserId: "u", state: "moderated", resultUrl: null }));
    expect(moderated.status).toBe("Contents moderation failed");
    expect("url" in moderated).toBe(false);
    expect(JSON.parse(webhookBody({ eventId: "e", videoId: 1, appBundleId: "a", apphudUserId: "u", state: "deleted", resultUrl: "x" })).status).toBe("Deleted");
    expect(JSON.parse(webhookBody({ eventId: "e", videoId: 1, appBundleId: "a", apphudUserId: "u", state: "failed", resultUrl: null })).status).toBe("Generation failed");
  });
});

describe("backoff", () => {
  test("doubles from the base, is capped, and jitters within ±25 %", () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 10_000, 3_600_000, mid))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(backoffMs(20, 10_000, 3_600_000, mid)).toBe(3_600_000);
    expect(backoffMs(1, 10_000, 3_600_000, () => 0)).toBe(7_500);
    expect(backoffMs(1, 10_000, 3_600_000, () => 0.999)).toBeLessThan(12_500);
    expect(backoffMs(30, 10_000, 3_600_000, () => 0.999)).toBe(3_600_000);
  });
});
