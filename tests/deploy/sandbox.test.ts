// Chromium's sandbox: on for a non-root process (the image's user), off only as root (tests, CI), where
// Chromium refuses to start with it. Playwright adds --no-sandbox itself unless chromiumSandbox is true.
import { expect, test } from "bun:test";
import { CHROMIUM_ARGS, chromiumLaunchFlags, runsAsRoot } from "../../src/sidecar/browser.ts";

test("as a non-root user the sandbox stays on: no --no-sandbox, and Playwright is told to keep it", () => {
  const flags = chromiumLaunchFlags(false);
  expect(flags.chromiumSandbox).toBe(true);
  expect(flags.args).not.toContain("--no-sandbox");
  expect(flags.args).toEqual([...CHROMIUM_ARGS]);
});

test("as root the sandbox is off, the only way Chromium starts there", () => {
  const flags = chromiumLaunchFlags(true);
  expect(flags.chromiumSandbox).toBe(false);
  expect(flags.args).toContain("--no-sandbox");
  expect(flags.args.filter((a) => a !== "--no-sandbox")).toEqual([...CHROMIUM_ARGS]);
});

test("by default it follows this process's user", () => {
  expect(runsAsRoot()).toBe(process.getuid?.() === 0);
  expect(chromiumLaunchFlags()).toEqual(chromiumLaunchFlags(runsAsRoot()));
});
