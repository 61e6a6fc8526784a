// The caller's address, for the record: Fly's proxy header, then X-Forwarded-For, then the socket.
import type { Context } from "hono";
import { getConnInfo } from "hono/bun";

export function clientIp(c: Context): string | null {
  const fly = c.req.header("fly-client-ip");
  if (fly) return fly.slice(0, 64);
  const forwarded = c.req.header("x-forwarded-for");
  if (forwarded) return forwarded.split(",")[0]!.trim().slice(0, 64);
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null; // no socket (in-process tests)
  }
}
