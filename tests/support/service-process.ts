// Starts the real entry point (src/main.ts) as a process, the way `npm start` does (scripts/serve.sh), and reads
// its JSON log.
import type { Subprocess } from "bun";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** How `npm start` and the image start it (the runtime flags live there). */
const SERVE = fileURLToPath(new URL("../../scripts/serve.sh", import.meta.url));

export interface ServiceProcess {
  url: string;
  pid: number;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  logs(): Record<string, unknown>[];
  /** Direct children of the service: the sidecar process. */
  childPids(): Promise<number[]>;
  exited: Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export async function startService(env: Record<string, string>, timeoutMs = 60_000): Promise<ServiceProcess> {
  // `exec` in the script: the process is bun itself (signals, pid), the same bun as the tests'.
  const proc = Bun.spawn(["bash", SERVE], {
    env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`, HOME: process.env.HOME ?? "/tmp", PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...env },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const lines: Record<string, unknown>[] = [];
  let resolveUrl!: (url: string) => void;
  const urlPromise = new Promise<string>((r) => (resolveUrl = r));
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of proc.stdout) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (process.env.TEST_LOG) process.stderr.write(`[service] ${line}\n`);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          lines.push(entry);
          if (entry.msg === "listening") resolveUrl(String(entry.url));
        } catch {
          lines.push({ raw: line });
        }
      }
    }
  })();
  const stderr = new Response(proc.stderr).text();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const url = await Promise.race([
    urlPromise,
    proc.exited.then(async (code) => {
      throw new Error(`service exited with ${code} before listening: ${await stderr}`);
    }),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("service did not start listening in time")), timeoutMs))),
  ])
    .catch((e) => {
      proc.kill("SIGTERM"); // never leave a half-started service (and its browser) behind
      throw e;
    })
    .finally(() => clearTimeout(timer));
  return {
    url,
    pid: proc.pid,
    proc,
    logs: () => lines,
    exited: proc.exited,
    async childPids() {
      const out = await Bun.$`pgrep -P ${proc.pid}`.nothrow().quiet().text();
      return out.split("\n").filter(Boolean).map(Number);
    },
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null && !proc.killed) proc.kill(signal);
      return proc.exited;
    },
  };
}
