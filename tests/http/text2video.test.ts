// POST /text2video against the contract: every boundary of its three parameters, every way of sending them,
// and the exact answer. One PGlite for the file; every test uses its own owner.
import { describe, expect, test } from "bun:test";
import { buildApp, jsonPost, OWNER, TEST_ALLOWED } from "../support/app.ts";
import { expectError, expectInvalid, multipartPost, sharedPglite, uniqueOwner, urlencodedPost, videoIdOf } from "./helpers.ts";

const db = sharedPglite();
const FIELDS = ["prompt", "app_bundle_id", "apphud_user_id"] as const;

function valid(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { prompt: "a red fox runs through snow", ...uniqueOwner(), ...overrides };
}

describe("POST /text2video prompt length in Unicode code points", () => {
  const alphabets = [
    { name: "ASCII", char: "a" },
    { name: "Cyrillic", char: "ж" },
    { name: "emoji (surrogate pairs)", char: "😀" },
  ];
  for (const { name, char } of alphabets) {
    test(`accepts a prompt of 2048 ${name} characters and stores it unchanged`, async () => {
      const { app, repo } = buildApp(db());
      const prompt = char.repeat(2048);
      const id = await videoIdOf(await app.request(...jsonPost("/text2video", valid({ prompt }))));
      expect((await repo.findJob(id))?.prompt).toBe(prompt);
    });

    test(`refuses a prompt of 2049 ${name} characters with 400 naming prompt`, async () => {
      const { app } = buildApp(db());
      await expectInvalid(await app.request(...jsonPost("/text2video", valid({ prompt: char.repeat(2049) }))), "prompt");
    });
  }

  test("accepts a one-character prompt", async () => {
    const { app } = buildApp(db());
    await videoIdOf(await app.request(...jsonPost("/text2video", valid({ prompt: "x" }))));
  });

  test("treats a prompt of only white space as missing", async () => {
    const { app } = buildApp(db());
    const body = await expectInvalid(await app.request(...jsonPost("/text2video", valid({ prompt: " \t\n\u00a0\u3000 " }))), "prompt");
    expect(body.message).toContain("required");
  });
});

describe("POST /text2video missing, blank and non-string fields", () => {
  const bad: [string, unknown][] = [
    ["missing", undefined],
    ["empty", ""],
    ["blank", "   "],
    ["nothing but NEL (U+0085, Unicode white space)", "\u0085\u0085"],
    ["a number", 42],
    ["an array", ["text"]],
    ["an object", { text: "x" }],
    ["null", null],
    ["a boolean", true],
  ];
  for (const field of FIELDS) {
    for (const [what, value] of bad) {
      test(`refuses ${field} that is ${what} with 400 naming ${field}`, async () => {
        const { app } = buildApp(db());
        const body = valid();
        if (value === undefined) delete body[field];
        else body[field] = value;
        await expectInvalid(await app.request(...jsonPost("/text2video", body)), field);
      });
    }
  }

  test("refuses a repeated urlencoded field (two values) with 400 naming it and saying it came twice", async () => {
    const { app } = buildApp(db());
    const owner = uniqueOwner();
    const res = await app.request(...urlencodedPost("/text2video", { ...owner, prompt: ["one", "two"] }));
    const body = await expectInvalid(res, "prompt");
    expect(body.message).toBe("prompt is given more than once");
  });

  test("refuses a parameter sent both in the query string and in the body (JSON, urlencoded, multipart) with 400 saying it came twice, and stores nothing", async () => {
    const { app } = buildApp(db());
    const owner = uniqueOwner();
    const query = `?apphud_user_id=${encodeURIComponent(`${owner.apphud_user_id}-other`)}`;
    for (const [path, init] of [
      jsonPost("/text2video", { ...owner, prompt: "a fox" }),
      urlencodedPost("/text2video", { ...owner, prompt: "a fox" }),
      multipartPost("/text2video", { ...owner, prompt: "a fox" }),
    ]) {
      const body = await expectInvalid(await app.request(path + query, init), "apphud_user_id");
      expect(body.message).toBe("apphud_user_id is given more than once");
    }
    // Even with the same value in both: which one was meant is not for the service to guess. Every field says so.
    const same: Record<string, string> = {
      prompt: "same",
      model: TEST_ALLOWED.models[0]!,
      quality: TEST_ALLOWED.qualities[0]!,
      duration: String(TEST_ALLOWED.durations[0]!),
      aspect_ratio: TEST_ALLOWED.aspectRatios[0]!,
      seed: "1",
      negative_prompt: "rain",
    };
    for (const [field, value] of Object.entries(same)) {
      const res = await app.request(`/text2video?${field}=${encodeURIComponent(value)}`, jsonPost("/text2video", { ...owner, prompt: "a fox", [field]: value })[1]);
      expect((await expectInvalid(res, field)).message).toBe(`${field} is given more than once`);
    }
    const stored = await db().db.execute(`select count(*)::int as n from videos where apphud_user_id like '${owner.apphud_user_id}%'`);
    expect(Number(stored.rows[0]!.n)).toBe(0);
  });

  test("a 400 body is exactly {error, field, message} with no request id, and equal errors are byte-identical", async () => {
    const { app } = buildApp(db());
    const send = () => app.request(...jsonPost("/text2video", { ...OWNER, prompt: "" }));
    const [a, b] = [await send(), await send()];
    const [ta, tb] = [await a.text(), await b.text()];
    expect(a.status, ta).toBe(400);
    expect(Object.keys(JSON.parse(ta)).sort()).toEqual(["error", "field", "message"]);
    expect(ta).toBe(tb);
    expect(a.headers.get("x-request-id")).toBeTruthy();
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
  });
});

describe("POST /text2video id lengths", () => {
  for (const field of ["app_bundle_id", "apphud_user_id"] as const) {
    test(`accepts ${field} of 255 characters`, async () => {
      const { app, repo } = buildApp(db());
      const value = `${field}-${crypto.randomUUID()}-`.padEnd(255, "x");
      const id = await videoIdOf(await app.request(...jsonPost("/text2video", valid({ [field]: value }))));
      const row = await repo.findStatus(id);
      expect(field === "app_bundle_id" ? row?.appBundleId : row?.apphudUserId).toBe(value);
    });

    test(`accepts ${field} of 255 emoji (code points, not UTF-16 units)`, async () => {
      const { app } = buildApp(db());
      await videoIdOf(await app.request(...jsonPost("/text2video", valid({ [field]: "🦊".repeat(255) }))));
    });

    test(`refuses ${field} of 256 characters with 400 naming it`, async () => {
      const { app } = buildApp(db());
      await expectInvalid(await app.request(...jsonPost("/text2video", valid({ [field]: "x".repeat(256) }))), field);
    });
  }
});

describe("POST /text2video malformed bodies", () => {
  const cases: [string, string][] = [
    ["malformed JSON", '{"prompt": "a fox", "app_bundle_id": '],
    ["a JSON array", JSON.stringify([valid()])],
    ["JSON null", "null"],
    ["a JSON string", '"a fox"'],
    ["a JSON number", "42"],
  ];
  for (const [what, body] of cases) {
    test(`refuses ${what} with a 400 JSON error`, async () => {
      const { app } = buildApp(db());
      const err = await expectError(await app.request(...jsonPost("/text2video", body)), 400);
      expect(err.error).toBe("invalid_body");
    });
  }

  test("refuses an empty JSON body with 400 naming a required field", async () => {
    const { app } = buildApp(db());
    const err = await expectError(await app.request(...jsonPost("/text2video", "")), 400);
    expect(FIELDS as readonly (string | undefined)[]).toContain(err.field);
  });

  test("refuses a text/plain body with a 400 JSON error", async () => {
    const { app } = buildApp(db());
    const res = await app.request("/text2video", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify(valid()),
    });
    expect((await expectError(res, 400)).error).toBe("invalid_body");
  });

  test("refuses a body that is not UTF-8 with 400, not 500", async () => {
    const { app } = buildApp(db());
    const res = await app.request("/text2video", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    });
    await expectError(res, 400);
  });

  test("refuses a body announced larger than the text limit with 413 without reading it", async () => {
    const { app } = buildApp(db());
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        pulled += 64 * 1024;
        ctrl.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const req = new Request("http://localhost/text2video", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(100 * 1024 * 1024) },
      body,
    });
    await expectError(await app.request(req), 413);
    expect(pulled).toBeLessThanOrEqual(256 * 1024);
  });

  test("does not read fields nested under __proto__ as the body's own", async () => {
    const { app } = buildApp(db());
    const raw = JSON.stringify({ prompt: "fox" }).replace("{", `{"__proto__":${JSON.stringify(uniqueOwner())},`);
    const err = await expectError(await app.request(...jsonPost("/text2video", raw)), 400);
    expect(err.field).toBe("app_bundle_id");
  });

  test("refuses a NUL character in the prompt with 400 naming prompt", async () => {
    const { app } = buildApp(db());
    await expectInvalid(await app.request(...jsonPost("/text2video", valid({ prompt: "a\u0000b" }))), "prompt");
  });

  test("refuses a NUL character in an urlencoded id with 400 naming it", async () => {
    const { app } = buildApp(db());
    const owner = uniqueOwner();
    const res = await app.request(...urlencodedPost("/text2video", { ...owner, apphud_user_id: "u\u0000v", prompt: "fox" }));
    await expectInvalid(res, "apphud_user_id");
  });

  test("refuses a lone surrogate in the prompt with 400 naming prompt", async () => {
    const { app } = buildApp(db());
    const owner = uniqueOwner();
    const raw = `{"prompt":"fox \\ud83d runs","app_bundle_id":${JSON.stringify(owner.app_bundle_id)},"apphud_user_id":${JSON.stringify(owner.apphud_user_id)}}`;
    await expectInvalid(await app.request(...jsonPost("/text2video", raw)), "prompt");
  });

  test("refuses a lone surrogate in an id with 400 naming it", async () => {
    const { app } = buildApp(db());
    const raw = `{"prompt":"fox","app_bundle_id":"com.example\\udc00","apphud_user_id":"u"}`;
    await expectInvalid(await app.request(...jsonPost("/text2video", raw)), "app_bundle_id");
  });
});

describe("POST /text2video content types", () => {
  test("accepts a JSON body", async () => {
    const { app } = buildApp(db());
    await videoIdOf(await app.request(...jsonPost("/text2video", valid())));
  });

  test("accepts a JSON body with a charset parameter", async () => {
    const { app } = buildApp(db());
    await videoIdOf(await app.request(...jsonPost("/text2video", valid(), { "content-type": "application/json; charset=utf-8" })));
  });

  test("accepts an urlencoded body and decodes it as UTF-8", async () => {
    const { app, repo } = buildApp(db());
    const owner = uniqueOwner();
    const prompt = "лиса бежит по снегу 🦊 & co = 100%";
    const id = await videoIdOf(await app.request(...urlencodedPost("/text2video", { ...owner, prompt })));
    expect((await repo.findJob(id))?.prompt).toBe(prompt);
  });

  test("accepts a multipart body without a file", async () => {
    const { app, repo } = buildApp(db());
    const owner = uniqueOwner();
    const id = await videoIdOf(await app.request(...multipartPost("/text2video", { ...owner, prompt: "лиса" })));
    expect((await repo.findJob(id))?.prompt).toBe("лиса");
  });

  test("accepts parameters in the query string only", async () => {
    const { app, repo } = buildApp(db());
    const owner = uniqueOwner();
    const q = new URLSearchParams({ ...owner, prompt: "лиса 🦊" });
    const id = await videoIdOf(await app.request(`/text2video?${q}`, { method: "POST" }));
    expect((await repo.findJob(id))?.prompt).toBe("лиса 🦊");
    expect((await repo.findStatus(id))?.apphudUserId).toBe(owner.apphud_user_id);
  });

  test("accepts ids in the query string and the prompt in a JSON body", async () => {
    const { app, repo } = buildApp(db());
    const owner = uniqueOwner();
    const id = await videoIdOf(await app.request(...jsonPost(`/text2video?${new URLSearchParams(owner)}`, { prompt: "fox" })));
    const row = await repo.findStatus(id);
    expect(row?.appBundleId).toBe(owner.app_bundle_id);
    expect(row?.apphudUserId).toBe(owner.apphud_user_id);
    expect((await repo.findJob(id))?.prompt).toBe("fox");
  });

  test("accepts ids in the query string and the prompt in an urlencoded body", async () => {
    const { app, repo } = buildApp(db());
    const owner = uniqueOwner();
    const id = await videoIdOf(await app.request(...urlencodedPost(`/text2video?${new URLSearchParams(owner)}`, { prompt: "fox" })));
    expect((await repo.findStatus(id))?.apphudUserId).toBe(owner.apphud_user_id);
  });
});

describe("POST /text2video answer", () => {
  test('answers exactly {"video_id": <int>} as JSON, and ids increase', async () => {
    const { app } = buildApp(db());
    const first = await app.request(...jsonPost("/text2video", valid()));
    expect(first.headers.get("content-type")).toStartWith("application/json");
    const text = await first.clone().text();
    expect(text, text).toMatch(/^\{"video_id":[1-9][0-9]*\}$/);
    const a = await videoIdOf(first);
    const b = await videoIdOf(await app.request(...jsonPost("/text2video", valid())));
    expect(b).toBeGreaterThan(a);
  });

  test("stores a queued t2v row with the prompt and the owner", async () => {
    const { app, repo } = buildApp(db());
    const owner = uniqueOwner("com.example.other");
    const id = await videoIdOf(await app.request(...jsonPost("/text2video", { ...owner, prompt: "a fox" })));
    const job = await repo.findJob(id);
    expect(job).toMatchObject({ id, kind: "t2v", prompt: "a fox", state: "queued", attempts: 0 });
    const row = await repo.findStatus(id);
    expect(row).toMatchObject({ appBundleId: owner.app_bundle_id, apphudUserId: owner.apphud_user_id });
  });
});

describe("POST /text2video and GET /get_status percent-escapes", () => {
  // `%E9` alone is Latin-1's é: not UTF-8. Read leniently it became U+FFFD in a form body and stayed `caf%E9` in a
  // query string, so one request sent two ways named two different users.
  const sent = "prompt=a+red+fox&app_bundle_id=caf%E9&apphud_user_id=enc-1";

  test("an id percent-encoded from bytes that are not UTF-8 is a 400 naming it, however the fields are sent", async () => {
    const { app } = buildApp(db());
    const ways: [string, RequestInit][] = [
      [`/text2video?${sent}`, { method: "POST" }],
      ["/text2video", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: sent }],
      ["/text2video", { method: "POST", body: sent }],
    ];
    for (const [path, init] of ways) await expectInvalid(await app.request(path, init), "app_bundle_id");
    await expectInvalid(await app.request("/get_status?video_id=1&app_bundle_id=caf%E9&apphud_user_id=enc-1"), "app_bundle_id");
  });

  test("a field the route does not know is ignored even when its escape is malformed", async () => {
    const { app } = buildApp(db());
    const owner = uniqueOwner();
    const q = `prompt=fox&app_bundle_id=${owner.app_bundle_id}&apphud_user_id=${owner.apphud_user_id}&utm=%zz&%E9=1`;
    const id = await videoIdOf(await app.request(`/text2video?${q}`, { method: "POST" }));
    expect((await app.request(`/get_status?video_id=${id}&app_bundle_id=${owner.app_bundle_id}&apphud_user_id=${owner.apphud_user_id}&utm=%zz`)).status).toBe(200);
  });

  test("a multipart text field whose bytes are not UTF-8 is a 400 naming it: two such ids never become one user", async () => {
    const { app } = buildApp(db());
    for (const [field, bytes] of [["apphud_user_id", [0x63, 0x61, 0x66, 0xe9]], ["prompt", [0x63, 0x61, 0x66, 0xe8]]] as const) {
      const boundary = "b0undary";
      const parts = { prompt: "a fox", app_bundle_id: "com.example", apphud_user_id: "mp-user" } as Record<string, string>;
      const chunks: (string | Uint8Array)[] = [];
      for (const [k, v] of Object.entries(parts)) {
        chunks.push(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n`);
        chunks.push(k === field ? new Uint8Array(bytes) : v, "\r\n");
      }
      chunks.push(`--${boundary}--\r\n`);
      const body = new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer());
      const res = await app.request("/text2video", { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, body });
      await expectInvalid(res, field);
    }
  });

  test("a malformed percent-escape is a 400 too, never kept as typed", async () => {
    const { app } = buildApp(db());
    await expectInvalid(await app.request("/text2video?prompt=50%zz+off&app_bundle_id=a&apphud_user_id=b", { method: "POST" }), "prompt");
  });

  test("valid escapes and `+` read the same in the query string, a form body and a body without a type, and get_status finds the video each way", async () => {
    const { app } = buildApp(db());
    const owner = `app_bundle_id=caf%C3%A9&apphud_user_id=${uniqueOwner().apphud_user_id}`;
    const body = `prompt=a+red+fox+%F0%9F%A6%8A&${owner}`;
    const ids = [
      await videoIdOf(await app.request(`/text2video?${body}`, { method: "POST" })),
      await videoIdOf(await app.request("/text2video", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body })),
      await videoIdOf(await app.request("/text2video", { method: "POST", body })),
    ];
    const byJson = new URLSearchParams(owner);
    expect(byJson.get("app_bundle_id")).toBe("café");
    for (const id of ids) {
      expect((await app.request(`/get_status?video_id=${id}&${owner}`)).status).toBe(200);
      const q = new URLSearchParams({ video_id: String(id), app_bundle_id: "café", apphud_user_id: byJson.get("apphud_user_id")! });
      expect((await app.request(`/get_status?${q}`)).status).toBe(200);
    }
  });
});
