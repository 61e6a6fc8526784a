import { describe, expect, test } from "bun:test";
import { LineWriter } from "../src/log-output.ts";

const decoder = new TextDecoder();

/** A writer over a fake descriptor: `accept(bytes)` says how many bytes a write takes, or throws. */
function fakeFd(accept: (bytes: Uint8Array) => number) {
  const written: Uint8Array[] = [];
  const writes: number[] = [];
  const write = (_fd: number, bytes: Uint8Array) => {
    const n = accept(bytes);
    written.push(bytes.slice(0, n));
    writes.push(n);
    return n;
  };
  return { write, text: () => decoder.decode(Buffer.concat(written)), writes };
}

const eagain = () => Object.assign(new Error("EAGAIN: resource temporarily unavailable"), { code: "EAGAIN" });
const line = (i: number) => `{"n":${i},"msg":"line ${i}"}\n`;

describe("log output (LineWriter)", () => {
  test("holds lines until minBytes are pending, then writes them in one write, in order", () => {
    const fd = fakeFd((b) => b.length);
    const out = new LineWriter(1, { minBytes: 100, write: fd.write });
    out.write(line(1));
    out.write(line(2));
    expect(fd.writes).toEqual([]);
    out.write(line(3));
    out.write(line(4));
    expect(fd.writes).toEqual([]);
    out.write(line(5)); // 5 lines of 24 bytes: past 100
    expect(fd.writes.length).toBe(1);
    expect(fd.text()).toBe([1, 2, 3, 4, 5].map(line).join(""));
    out.write(line(6));
    expect(fd.writes.length).toBe(1);
    out.flushSync();
    expect(fd.text()).toBe([1, 2, 3, 4, 5, 6].map(line).join(""));
  });

  test("writes what is pending within flushMs when traffic stops", async () => {
    const fd = fakeFd((b) => b.length);
    const out = new LineWriter(1, { minBytes: 1 << 20, flushMs: 20, write: fd.write });
    out.write(line(1));
    expect(fd.text()).toBe("");
    await Bun.sleep(80);
    expect(fd.text()).toBe(line(1));
    out.flushSync();
  });

  test("a partial write is continued until every byte is out", () => {
    const fd = fakeFd((b) => Math.min(7, b.length));
    const out = new LineWriter(1, { minBytes: 1, write: fd.write });
    out.write("ünïcödé line, longer than seven bytes\n");
    expect(fd.text()).toBe("ünïcödé line, longer than seven bytes\n");
    expect(fd.writes.length).toBeGreaterThan(3);
  });

  test("a full pipe (EAGAIN) does not block: the bytes are kept and written once the reader takes them", async () => {
    let full = true;
    const fd = fakeFd((b) => {
      if (full) throw eagain();
      return b.length;
    });
    const out = new LineWriter(1, { minBytes: 1, flushMs: 10, write: fd.write });
    const started = performance.now();
    out.write(line(1));
    out.write(line(2));
    expect(performance.now() - started).toBeLessThan(50);
    expect(fd.text()).toBe("");
    full = false;
    await Bun.sleep(60);
    expect(fd.text()).toBe(line(1) + line(2));
    out.flushSync();
  });

  test("past maxBytes while the reader is stuck, new lines are dropped and the next line says how many", async () => {
    let full = true;
    const fd = fakeFd((b) => {
      if (full) throw eagain();
      return b.length;
    });
    const out = new LineWriter(1, { minBytes: 1, flushMs: 10, maxBytes: 3 * line(1).length, write: fd.write });
    for (let i = 1; i <= 5; i++) out.write(line(i));
    full = false;
    await Bun.sleep(50); // the retry timer drains what was kept
    out.write(line(6));
    out.flushSync();
    const lines = fd.text().trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.n ?? l.dropped_lines)).toEqual([1, 2, 3, 2, 6]);
    expect(lines[3].msg).toContain("dropped");
  });

  test("a closed reader (EPIPE) costs the lines, not the process", () => {
    const out = new LineWriter(1, {
      minBytes: 1,
      write: () => {
        throw Object.assign(new Error("EPIPE: broken pipe"), { code: "EPIPE" });
      },
    });
    expect(() => {
      out.write(line(1));
      out.flushSync();
    }).not.toThrow();
  });

  test("at exit, flushSync waits for a stuck reader up to exitWaitMs, then gives up", () => {
    let calls = 0;
    const fd = fakeFd((b) => {
      if (++calls < 4) throw eagain();
      return b.length;
    });
    const out = new LineWriter(1, { minBytes: 1 << 20, exitWaitMs: 1000, write: fd.write });
    out.write(line(1));
    out.flushSync();
    expect(fd.text()).toBe(line(1));

    const stuck = new LineWriter(1, {
      minBytes: 1 << 20,
      exitWaitMs: 100,
      write: () => {
        throw eagain();
      },
    });
    stuck.write(line(2));
    const started = performance.now();
    stuck.flushSync();
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(1000);
  });
});

describe("log output of a real process (standard output)", () => {
  const script = (end: string) => `
    import { createLogger } from ${JSON.stringify(new URL("../src/log.ts", import.meta.url).pathname)};
    const log = createLogger("info");
    for (let i = 1; i <= 3; i++) log.info("line", { n: i });
    ${end}
  `;

  for (const [how, end, code] of [
    ["ending by itself", "", 0],
    ["process.exit(3)", "process.exit(3);", 3],
    ["an uncaught error", "throw new Error('boom');", 1],
  ] as const) {
    test(`every line reaches standard output when the process exits by ${how}`, async () => {
      const proc = Bun.spawn([process.execPath, "-e", script(end)], { stdout: "pipe", stderr: "pipe" });
      const [out, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
      expect(exitCode).toBe(code);
      const lines = out.trim().split("\n").map((l) => JSON.parse(l));
      expect(lines.map((l) => l.n)).toEqual([1, 2, 3]);
    });
  }
});
