// The Dockerfile and .dockerignore as text: the image runs the service as a non-root user, carries no dev
// files, pins the same Bun as the developers' bootstrap, and its build context holds what it copies.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

interface Instruction {
  op: string;
  args: string;
}

/** Instructions per stage (continuation lines joined, comments dropped). */
function stages(text: string): Instruction[][] {
  const lines = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const out: Instruction[][] = [];
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const ins = { op: m[1]!.toUpperCase(), args: m[2]! };
    if (ins.op === "FROM") out.push([]);
    out.at(-1)?.push(ins);
  }
  return out;
}

/** A JSON-array (exec form) argument list, or the shell form's words. */
function argv(args: string): string[] {
  return args.startsWith("[") ? (JSON.parse(args) as string[]) : args.split(/\s+/);
}

const dockerfile = read("Dockerfile");
const all = stages(dockerfile);
const final = all.at(-1)!;
const ops = (op: string) => final.filter((i) => i.op === op);
/** COPY sources from the build context (not --from another stage), flags dropped. */
const contextSources = final
  .filter((i) => i.op === "COPY" && !/--from=/.test(i.args))
  .flatMap((i) => argv(i.args).filter((w) => !w.startsWith("--")).slice(0, -1));

describe("Dockerfile", () => {
  test("has a build stage and a debian:bookworm-slim runtime with Chromium, fonts and certificates", () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(final[0]!.args).toMatch(/^debian:bookworm-slim\b/);
    const installs = ops("RUN").map((i) => i.args).join(" ");
    for (const pkg of ["chromium", "fonts-liberation", "ca-certificates"]) expect(installs).toContain(pkg);
    expect(installs).not.toMatch(/\bnpm\b|\bnodejs\b/);
  });

  test("installs only production packages, from the lockfile", () => {
    const installs = all.flat().filter((i) => i.op === "RUN" && /bun install/.test(i.args));
    expect(installs).toHaveLength(1);
    expect(installs[0]!.args).toContain("--frozen-lockfile");
    expect(installs[0]!.args).toContain("--production");
  });

  test("the service runs as a non-root user: the entry point drops from root to it before the command", () => {
    const user = /useradd\b[^&]*--uid (\d+)[^&]*\s(\w+)\s*(&&|$)/.exec(ops("RUN").map((i) => i.args).join(" "));
    expect(user).not.toBeNull();
    const [uid, name] = [Number(user![1]), user![2]!];
    expect(uid).toBeGreaterThan(0);
    const lastUser = ops("USER").at(-1)?.args;
    if (lastUser !== undefined) {
      expect(["root", "0"]).not.toContain(lastUser.split(":")[0]);
    } else {
      // Root only to hand the volume over: the entry point must drop to the user for everything it runs.
      const entry = argv(ops("ENTRYPOINT").at(-1)!.args)[0]!;
      const copy = final.find((i) => i.op === "COPY" && i.args.trim().endsWith(entry))!;
      const script = read(argv(copy.args).filter((w) => !w.startsWith("--"))[0]!);
      expect(script).toMatch(new RegExp(`exec setpriv --reuid=${name} --regid=${name}\\b.* -- "\\$@"`));
      expect(script).not.toMatch(/^\s*exec "\$@"[^\n]*\n[\s\S]*setpriv/m);
    }
  });

  test("the volume's directory belongs to the service's user", () => {
    expect(ops("RUN").map((i) => i.args).join(" ")).toMatch(/install -d -o app -g app -m 0700 \/data/);
    expect(final.find((i) => i.op === "ENV")?.args).toContain("DATA_DIR=/data");
  });

  test("copies only what runs: src, drizzle, the package files and the entry point; no tests, bench, docs or .env", () => {
    const allowed = ["package.json", "bun.lock", "bunfig.toml", "tsconfig.json", "src", "drizzle", "scripts/docker-entrypoint.sh", "scripts/serve.sh"];
    for (const source of contextSources) expect(allowed).toContain(source.replace(/\/$/, ""));
    for (const source of contextSources) expect(source).not.toMatch(/^(tests|bench|docs|\.env|\.tools|\.git|\.ci|data|node_modules|\.)(\/|$)/);
    expect(ops("COPY").some((i) => /--from=build .*node_modules/.test(i.args))).toBe(true);
  });

  test("CMD runs the service through scripts/serve.sh, which runs src/main.ts with bun", () => {
    expect(argv(ops("CMD").at(-1)!.args)).toEqual(["bash", "scripts/serve.sh"]);
    expect(read("scripts/serve.sh")).toMatch(/^exec bun .*src\/main\.ts/m);
  });

  test("Bun is the version scripts/bootstrap.sh pins", () => {
    const pinned = /^BUN_VERSION="([^"]+)"/m.exec(read("scripts/bootstrap.sh"))?.[1];
    expect(pinned).toBeDefined();
    const used = [...dockerfile.matchAll(/bun@([\w.-]+)/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(0);
    for (const v of used) expect(v).toBe(pinned);
  });
});

/** Whether .dockerignore leaves `path` out of the build context (top-level names, `*` globs, `!` exceptions). */
function ignored(patterns: string[], path: string): boolean {
  let out = false;
  for (const raw of patterns) {
    const negate = raw.startsWith("!");
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/|\/$/g, "");
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}(/|$)`);
    if (re.test(path)) out = !negate;
  }
  return out;
}

describe(".dockerignore", () => {
  const patterns = read(".dockerignore").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));

  test("keeps the dev folders and local secrets out of the build context", () => {
    for (const path of ["tests", "bench", "docs", ".tools", "data", ".env", ".git", "node_modules", ".ci", "tests/deploy/fly.test.ts"]) {
      expect({ path, ignored: ignored(patterns, path) }).toEqual({ path, ignored: true });
    }
  });

  test("leaves in everything the Dockerfile copies from the context", () => {
    expect(contextSources.length).toBeGreaterThan(0);
    for (const path of contextSources) expect({ path, ignored: ignored(patterns, path.replace(/\/$/, "")) }).toEqual({ path, ignored: false });
  });
});
