// GET /get_status parameters: what is a 400 (schemas.ts: video_id is a string of digits ≥ 1), what is a 404,
// and that a 404 never tells another owner's video from a missing one. One PGlite for the file.
import { describe, expect, test } from "bun:test";
import { buildApp, jsonPost, statusUrl } from "../support/app.ts";
import { expectError, expectInvalid, sharedPglite, uniqueOwner, videoIdOf } from "./helpers.ts";

const db = sharedPglite();

async function created(app: ReturnType<typeof buildApp>["app"], owner: { app_bundle_id: string; apphud_user_id: string }) {
  return videoIdOf(await app.request(...jsonPost("/text2video", { ...owner, prompt: "a fox" })));
}

describe("GET /get_status video_id", () => {
  test("answers Generating for a video just created", async () => {
    const { app } = buildApp(db());
    const owner = uniqueOwner();
    const id = await created(app, owner);
    const res = await app.request(statusUrl(id, owner));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(await res.text()).toBe('{"status":"Generating"}');
  });

  test("asked again and again through differently written query strings, answers each as if it were the first", async () => {
    const { app } = buildApp(db());
    const owner = uniqueOwner();
    const other = uniqueOwner("com.example.other");
    const id = await created(app, owner);
    const q = (pairs: [string, string][]) => `/get_status?${new URLSearchParams(pairs)}`;
    const mine: [string, string][] = [["video_id", String(id)], ["app_bundle_id", owner.app_bundle_id], ["apphud_user_id", owner.apphud_user_id]];
    const urls: [string, number][] = [
      [q(mine), 200],
      [q([...mine].reverse()), 200],
      [q([...mine, ["pad", "x".repeat(5000)]]), 200],
      [q([["video_id", String(id)], ["app_bundle_id", owner.app_bundle_id], ["apphud_user_id", other.apphud_user_id]]), 404],
      [q([["video_id", String(id)], ["app_bundle_id", other.app_bundle_id], ["apphud_user_id", owner.apphud_user_id]]), 404],
      [q([["video_id", "abc"], ["app_bundle_id", owner.app_bundle_id], ["apphud_user_id", owner.apphud_user_id]]), 400],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [url, status] of urls) expect((await app.request(url)).status, `${url.slice(0, 120)} (round ${round})`).toBe(status);
    }
  });

  test("refuses a missing video_id with 400 naming video_id", async () => {
    const { app } = buildApp(db());
    await expectInvalid(await app.request(`/get_status?${new URLSearchParams(uniqueOwner())}`), "video_id");
  });

  for (const bad of ["", "abc", "1.5", "-1", "0", "1e3", "0x10", " 7", "7 ", "+7", "٣"]) {
    test(`refuses video_id=${JSON.stringify(bad)} with 400 naming video_id`, async () => {
      const { app } = buildApp(db());
      await expectInvalid(await app.request(statusUrl(bad, uniqueOwner())), "video_id");
    });
  }

  test("refuses a repeated video_id with 400 naming video_id", async () => {
    const { app } = buildApp(db());
    const owner = uniqueOwner();
    const id = await created(app, owner);
    const res = await app.request(`${statusUrl(id, owner)}&video_id=${id}`);
    await expectInvalid(res, "video_id");
  });

  test("answers 404 for an id that does not exist", async () => {
    const { app } = buildApp(db());
    const body = await expectError(await app.request(statusUrl(987_654_321, uniqueOwner())), 404);
    expect(body).toEqual({ error: "not_found", message: "no such video" });
  });

  for (const huge of ["99999999999999999999", "9223372036854775808", "9007199254740993"]) {
    test(`answers a well-formed but unusable id ${huge} without a 500`, async () => {
      const { app } = buildApp(db());
      const res = await app.request(statusUrl(huge, uniqueOwner()));
      expect(res.status, await res.clone().text()).toBe(404);
    });
  }

  test("reads video_id with leading zeros as the number", async () => {
    const { app } = buildApp(db());
    const owner = uniqueOwner();
    const id = await created(app, owner);
    const res = await app.request(statusUrl(`000${id}`, owner));
    expect(res.status, await res.clone().text()).toBe(200);
  });
});

describe("GET /get_status owner parameters", () => {
  for (const field of ["app_bundle_id", "apphud_user_id"] as const) {
    test(`refuses a missing ${field} with 400 naming it`, async () => {
      const { app } = buildApp(db());
      const q = new URLSearchParams({ video_id: "1", ...uniqueOwner() });
      q.delete(field);
      await expectInvalid(await app.request(`/get_status?${q}`), field);
    });

    test(`refuses a blank ${field} with 400 naming it`, async () => {
      const { app } = buildApp(db());
      await expectInvalid(await app.request(statusUrl(1, { ...uniqueOwner(), [field]: "  " })), field);
    });

    test(`refuses ${field} of 256 characters with 400 and looks up one of 255`, async () => {
      const { app } = buildApp(db());
      await expectInvalid(await app.request(statusUrl(1, { ...uniqueOwner(), [field]: "x".repeat(256) })), field);
      const res = await app.request(statusUrl(987_654_321, { ...uniqueOwner(), [field]: "x".repeat(255) }));
      expect(res.status, await res.clone().text()).toBe(404);
    });

    test(`refuses a NUL in ${field} with 400 naming it`, async () => {
      const { app } = buildApp(db());
      await expectInvalid(await app.request(statusUrl(1, { ...uniqueOwner(), [field]: "a\u0000b" })), field);
    });
  }
});

describe("GET /get_status another owner's video", () => {
  const others: [string, (o: { app_bundle_id: string; apphud_user_id: string }) => { app_bundle_id: string; apphud_user_id: string }][] = [
    ["another app_bundle_id", (o) => ({ ...o, app_bundle_id: `${o.app_bundle_id}.other` })],
    ["another apphud_user_id", (o) => ({ ...o, apphud_user_id: `${o.apphud_user_id}-other` })],
    ["the two ids swapped", (o) => ({ app_bundle_id: o.apphud_user_id, apphud_user_id: o.app_bundle_id })],
  ];
  for (const [what, other] of others) {
    test(`answers ${what} with a 404 byte-identical to a missing video's`, async () => {
      const { app } = buildApp(db());
      const owner = uniqueOwner();
      const id = await created(app, owner);
      const stranger = other(owner);
      const theirs = await app.request(statusUrl(id, stranger));
      const missing = await app.request(statusUrl(id + 1_000_000, stranger));
      const [a, b] = [await theirs.text(), await missing.text()];
      expect(theirs.status, a).toBe(404);
      expect(missing.status, b).toBe(404);
      expect(a).toBe(b);
      expect(theirs.headers.get("content-type")).toBe(missing.headers.get("content-type"));
      // The owner still sees it.
      const mine = await app.request(statusUrl(id, owner));
      expect(mine.status, await mine.clone().text()).toBe(200);
    });
  }
});
