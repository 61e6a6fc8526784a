// How long PostgreSQL takes to commit a one-row insert, from a client on one connection: the flush the
// text2video reference (Fastify + pg, a commit per request) waits for on every request, and our service once
// per batch. bench/api.sh prints it beside the ratios, which move with it (bench/README.md).
// Usage: bun bench/commit-latency.ts POSTGRES_URL [N=400]. Prints `commit_us_median=… commit_us_p90=…`.
import pg from "pg";

const [url, nArg = "400"] = process.argv.slice(2);
if (!url) {
  console.error("usage: bun bench/commit-latency.ts POSTGRES_URL [N]");
  process.exit(2);
}
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  await client.query("create table if not exists bench_commit_probe (id bigserial primary key, note text)");
  const insert = { name: "probe", text: "insert into bench_commit_probe (note) values ($1)" };
  const times: number[] = [];
  for (let i = 0; i < Number(nArg); i++) {
    const t0 = performance.now();
    await client.query({ ...insert, values: ["probe"] });
    times.push((performance.now() - t0) * 1000);
  }
  // The same round trip without a commit's flush (a read), to tell the flush from the loopback and the driver.
  const reads: number[] = [];
  for (let i = 0; i < Number(nArg); i++) {
    const t0 = performance.now();
    await client.query({ name: "read", text: "select 1" });
    reads.push((performance.now() - t0) * 1000);
  }
  const at = (xs: number[], q: number) => xs.sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!.toFixed(0);
  console.log(`commit_us_median=${at(times, 0.5)} commit_us_p90=${at(times, 0.9)} select1_us_median=${at(reads, 0.5)}`);
} finally {
  await client.query("drop table if exists bench_commit_probe").catch(() => {});
  await client.end();
}
