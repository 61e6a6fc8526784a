// The query-string reader of the status hot path must read exactly what Hono's own reader reads.
import { describe, expect, test } from "bun:test";
import { getQueryParams } from "hono/utils/url";
import { parseQuery } from "../../src/http/params.ts";

/** Hono's reading, in our shape: one value as a string, a repeated key as an array. */
function honoReading(url: string): [string, unknown][] {
  const all = getQueryParams(url) as Record<string, string[]>;
  return Object.entries(all).map(([k, v]) => [k, v.length === 1 ? v[0] : v]);
}

const ours = (url: string) => Object.entries(parseQuery(url));

const BASE = "http://127.0.0.1:3000/get_status";

describe("query string reader", () => {
  const cases = [
    "?video_id=1&app_bundle_id=com.perf&apphud_user_id=perf",
    "",
    "?",
    "?a",
    "?a=",
    "?=x",
    "?a=1&a=2&a=3",
    "?a=1&&b=2&",
    "?a=b=c",
    "?a=%20x%20&b=1+2",
    "?a=%ZZ&b=%E2%82",
    "?%61=1&a=2",
    "?name=%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82",
    "?a=1#frag&b=2",
    "?a=x%2By+z",
    "?__proto__=1&constructor=2",
  ];
  for (const q of cases) {
    test(`reads ${JSON.stringify(q)} as Hono does`, () => {
      expect(ours(BASE + q)).toEqual(honoReading(BASE + q));
    });
  }

  test("reads random query strings as Hono does", () => {
    const alphabet = ["a", "b", "=", "&", "%", "2", "0", "+", "F", "%41", "%E2%82%AC", "z", "#"];
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let i = 0; i < 2000; i++) {
      let q = "?";
      const len = rand(16);
      for (let j = 0; j < len; j++) q += alphabet[rand(alphabet.length)];
      expect({ url: q, read: ours(BASE + q) }).toEqual({ url: q, read: honoReading(BASE + q) });
    }
  });

  test("keeps a repeated key as an array, which the schemas refuse", () => {
    expect(parseQuery(`${BASE}?video_id=1&video_id=2`).video_id).toEqual(["1", "2"]);
  });
});
