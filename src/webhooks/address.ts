// Where a webhook may go. A callback URL is a caller's instruction to this service to make a request, so it
// must not reach the service's own network (loopback, private ranges, the cloud's metadata address): the
// request-time check judges the URL's text (scheme, length, credentials, a literal address, `localhost`),
// and the delivery-time check (delivery.ts) judges every address its host name resolves to, on the very
// connection that is made, so a name re-pointed at a private address after acceptance (DNS rebinding) is
// refused too. Pure code but for the types of node:net.
import { isIP } from "node:net";

/** The longest callback URL accepted (characters). */
export const CALLBACK_URL_MAX_LENGTH = 2048;

/** What the service allows for callback URLs (config: WEBHOOK_SECRET set, WEBHOOK_ALLOW_PRIVATE). */
export interface CallbackPolicy {
  /** Webhooks are on (a signing secret is configured); off, any callback_url is refused. */
  enabled: boolean;
  /** Private, loopback and other non-public addresses allowed (tests, a receiver on the same network). */
  allowPrivate: boolean;
}

export const WEBHOOKS_OFF: CallbackPolicy = { enabled: false, allowPrivate: false };

/**
 * Why a callback URL is refused (a sentence for the 400), or null when it is acceptable. Host names other
 * than `localhost` are not resolved here: the API never waits on DNS, and the delivery checks what the name
 * resolves to each time it connects.
 */
export function callbackUrlProblem(value: string, policy: CallbackPolicy): string | null {
  if (!policy.enabled) return "callback_url is not available: webhooks are off on this service (no WEBHOOK_SECRET is configured)";
  if (value.length > CALLBACK_URL_MAX_LENGTH) return `callback_url must be at most ${CALLBACK_URL_MAX_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "callback_url must be an absolute http or https URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "callback_url must be an http or https URL";
  if (url.username !== "" || url.password !== "") return "callback_url must not contain a user name or password";
  if (policy.allowPrivate) return null;
  const host = hostOf(url);
  if (isLocalhostName(host)) return "callback_url must not point at localhost";
  const kind = isIP(host) ? nonPublicKind(host) : null;
  if (kind) return `callback_url must be a public address, not a ${kind} one`;
  return null;
}

/** The URL's host without IPv6 brackets (the WHATWG parser has already normalized IPv4 forms like `0x7f.1`). */
export function hostOf(url: URL): string {
  const h = url.hostname;
  return h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
}

/** `localhost` and any name under it (RFC 6761: they always mean this machine), with or without the root dot. */
export function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost");
}

type Range4 = readonly [base: number, bits: number, kind: string];

// IPv4 ranges no public receiver lives in (RFC 6890 and friends).
const V4_RANGES: readonly Range4[] = [
  [ip4(0, 0, 0, 0), 8, "unspecified"],
  [ip4(10, 0, 0, 0), 8, "private"],
  [ip4(100, 64, 0, 0), 10, "shared (CGNAT)"],
  [ip4(127, 0, 0, 0), 8, "loopback"],
  [ip4(169, 254, 0, 0), 16, "link-local"],
  [ip4(172, 16, 0, 0), 12, "private"],
  [ip4(192, 0, 0, 0), 24, "reserved"],
  [ip4(192, 0, 2, 0), 24, "documentation"],
  [ip4(192, 88, 99, 0), 24, "reserved"],
  [ip4(192, 168, 0, 0), 16, "private"],
  [ip4(198, 18, 0, 0), 15, "benchmarking"],
  [ip4(198, 51, 100, 0), 24, "documentation"],
  [ip4(203, 0, 113, 0), 24, "documentation"],
  [ip4(224, 0, 0, 0), 4, "multicast"],
  [ip4(240, 0, 0, 0), 4, "reserved"],
];

function ip4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

/** A dotted IPv4 address as an unsigned 32-bit number, or null when it is not one. */
function parse4(s: string): number | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

function kind4(n: number): string | null {
  for (const [base, bits, kind] of V4_RANGES) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if (((n & mask) >>> 0) === base) return kind;
  }
  return null;
}

/** An IPv6 address as its eight 16-bit groups (an embedded dotted IPv4 tail allowed), or null. */
function parse6(s: string): number[] | null {
  let text = s.toLowerCase();
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes its two hex groups.
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    const v4 = parse4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const group = (h: string) => (h === "" ? [] : h.split(":"));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  if (all.length !== 8 || !all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return all.map((g) => parseInt(g, 16));
}

function kind6(g: number[]): string | null {
  const [a, b, c, d, e, f, h, i] = g as [number, number, number, number, number, number, number, number];
  const embedded4 = ((h << 16) >>> 0) + i;
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(8)) return "unspecified";
  if (zeroTo(7) && i === 1) return "loopback";
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d): the IPv4 address is what is reached.
  if (zeroTo(5) && f === 0xffff) return kind4(embedded4);
  // IPv4-translated (::ffff:0:a.b.c.d, RFC 2765): the same.
  if (zeroTo(4) && e === 0xffff && f === 0) return kind4(embedded4) ?? "reserved";
  if (zeroTo(6)) return kind4(embedded4) ?? "reserved";
  // NAT64 (64:ff9b::a.b.c.d) reaches the embedded IPv4 address through the translator.
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return kind4(embedded4);
  // Local-use NAT64 (64:ff9b:1::/48, RFC 8215): a translator on the operator's own network.
  if (a === 0x64 && b === 0xff9b && c === 1) return "local NAT64";
  // 6to4 (2002:AABB:CCDD::) carries an IPv4 address in its second and third groups.
  if (a === 0x2002) return kind4(((b << 16) >>> 0) + c);
  if ((a & 0xfe00) === 0xfc00) return "unique-local";
  if ((a & 0xffc0) === 0xfe80) return "link-local";
  if ((a & 0xffc0) === 0xfec0) return "site-local";
  if ((a & 0xff00) === 0xff00) return "multicast";
  if (a === 0x2001 && b === 0x0db8) return "documentation";
  if (a === 0x0100 && b === 0 && c === 0 && d === 0) return "discard";
  return null;
}

/**
 * What kind of non-public address `ip` is (loopback, private, link-local, unique-local, shared (CGNAT),
 * multicast, unspecified, …), or null for a public one. Anything that is not an IP address is null.
 */
export function nonPublicKind(ip: string): string | null {
  const v = isIP(ip);
  if (v === 4) {
    const n = parse4(ip);
    return n === null ? null : kind4(n);
  }
  if (v === 6) {
    const g = parse6(ip);
    return g === null ? "unparsable" : kind6(g);
  }
  return null;
}
