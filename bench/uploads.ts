export {};
// Concurrent large uploads to POST /image2video: ROUNDS rounds of CONCURRENCY requests at once, each from a
// distinct user, every answer must be 200 with a video_id. Prints one summary line; exits 1 on any other answer.
// Usage: bun bench/uploads.ts BASE_URL FILE [CONCURRENCY=32] [ROUNDS=3]
export {};

const [base, file, concurrencyArg = "32", roundsArg = "3"] = process.argv.slice(2);
if (!base || !file) {
  console.error("usage: bun bench/uploads.ts BASE_URL FILE [CONCURRENCY] [ROUNDS]");
  process.exit(2);
}
const concurrency = Number(concurrencyArg);
const rounds = Number(roundsArg);
const image = new Blob([await Bun.file(file).arrayBuffer()], { type: "image/png" });
const run = `${process.pid}-${Date.now()}`;

let ok = 0;
const failures: string[] = [];
const ids: number[] = [];
const started = performance.now();
for (let r = 0; r < rounds; r++) {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      const form = new FormData();
      form.append("prompt", `upload bench ${r}/${i}`);
      form.append("app_bundle_id", "com.perf");
      form.append("apphud_user_id", `upload-${run}-${r}-${i}`);
      form.append("file", image, "bench.png");
      try {
        const res = await fetch(`${base}/image2video`, { method: "POST", body: form, signal: AbortSignal.timeout(60_000) });
        const text = await res.text();
        const id = res.status === 200 ? (JSON.parse(text) as { video_id?: unknown }).video_id : undefined;
        if (res.status === 200 && typeof id === "number") {
          ok++;
          ids.push(id);
        } else failures.push(`${res.status} ${text.slice(0, 200)}`);
      } catch (e) {
        failures.push(`error ${(e as Error).message}`);
      }
    }),
  );
  console.error(`round ${r + 1}/${rounds}: ${concurrency} uploads in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
}
const total = concurrency * rounds;
console.log(
  `UPLOADS total=${total} ok=${ok} failed=${failures.length} bytes_each=${image.size} seconds=${((performance.now() - started) / 1000).toFixed(2)} distinct_ids=${new Set(ids).size}`,
);
for (const f of failures.slice(0, 5)) console.log(`  failure: ${f}`);
process.exit(failures.length === 0 && new Set(ids).size === total ? 0 : 1);
