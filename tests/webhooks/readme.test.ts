// The README's receiver snippet (verifyWebhook) is run as written against what the service signs, so the
// few lines a reader copies do verify a real signature and refuse a changed body, secret or old time.
import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signatureHeader } from "../../src/webhooks/signature.ts";

const dir = await mkdtemp(join(tmpdir(), "readme-webhook-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

async function readmeVerifier(): Promise<(raw: string, header: string | null, secret: string, tolerance?: number) => boolean> {
  const readme = await Bun.file(new URL("../../README.md", import.meta.url)).text();
  const block = /```ts\n(import \{ createHmac, timingSafeEqual \} from "node:crypto";[\s\S]*?export function verifyWebhook[\s\S]*?)```/.exec(readme);
  expect(block, "the README shows verifyWebhook in a ts block").not.toBeNull();
  const file = join(dir, "verify.ts");
  await writeFile(file, block![1]!);
  return (await import(file)).verifyWebhook;
}

test("the README's verifyWebhook accepts the service's signature and refuses tampering", async () => {
  const verify = await readmeVerifier();
  const secret = "readme-secret-0123456789";
  const body = '{"event":"video.finished","event_id":"e","video_id":1,"app_bundle_id":"a","apphud_user_id":"u","status":"Generation failed"}';
  const now = Date.now() / 1000;
  const header = signatureHeader(secret, body, now);
  expect(verify(body, header, secret)).toBe(true);
  expect(verify(body.replace("failed", "Failed"), header, secret)).toBe(false);
  expect(verify(body, header, "another-secret-0123456789")).toBe(false);
  expect(verify(body, signatureHeader(secret, body, now - 600), secret)).toBe(false);
  expect(verify(body, null, secret)).toBe(false);
});
