// The sidecar's exit after its last messages (src/sidecar/to-parent.ts): the parent reads every one of them.
import { expect, test } from "bun:test";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./fixtures/burst-then-exit.ts", import.meta.url));
const SENT = 50;
// A plain process.exit in the child dropped the last message in about one run of ten.
const RUNS = 40;

/** How many of the child's messages the parent got, in each of `RUNS` runs. */
async function received(): Promise<number[]> {
  const counts: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let got = 0;
    const closed = Promise.withResolvers<void>();
    const child = Bun.spawn({
      cmd: [process.execPath, CHILD],
      ipc: () => void got++,
      serialization: "json",
      onDisconnect: () => closed.resolve(),
      stdio: ["ignore", "ignore", "inherit"],
    });
    await child.exited;
    await closed.promise;
    counts.push(got);
  }
  return counts;
}

test("a child that exits with exitWhenSent right after a burst of messages has every message read by the parent", async () => {
  expect(await received()).toEqual(Array(RUNS).fill(SENT));
}, 30_000);
