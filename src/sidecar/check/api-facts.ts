// Facts of Pixverse's JSON API, asked through the signed-in context's request client exactly as the
// service asks it: the plan, the credits, the first page of the video list and its items, one video's
// detail. Read only: nothing here creates anything. With `--submit` the list facts run after the video,
// so that a new account's list has an item to judge.
import { mapPixverseVideo } from "../../domain/status.ts";
import {
  API_PATHS,
  createdAtMs,
  LIST_PAGING_FIELDS,
  listBody,
  listItemSchema,
  parseCredits,
  toPixverseVideo,
  type ListItem,
} from "../pixverse.ts";
import { fail, pass, unknown, type Fact } from "./runner.ts";
import type { CheckContext } from "./context.ts";

type CheckFact = Fact<CheckContext>;

const SIGNED_IN = ["session.signIn"] as const;
const LISTED = ["api.list"] as const;
const CREDIT_FIELDS = ["credit_daily", "credit_monthly", "credit_package"] as const;
/** No Pixverse video predates this; an earlier creation time is a misread unit or format. */
const EARLIEST_PLAUSIBLE = Date.parse("2023-01-01T00:00:00Z");
const NO_VIDEOS = "the account has no videos yet (`--submit` makes one and judges it)";

/** The account's plan and credits. */
export function accountApiFacts(): CheckFact[] {
  return [
    {
      id: "api.plan",
      name: "plan_details gen_simultaneously",
      needs: SIGNED_IN,
      timeoutMs: 30_000,
      async run(ctx) {
        const plan = await ctx.account.plan();
        if (plan.genSimultaneously === null) return fail(`${API_PATHS.planDetails}: no gen_simultaneously in Resp (fields: ${fields(plan.raw)})`);
        return pass(`gen_simultaneously ${plan.genSimultaneously}; plan ${planName(plan.raw)}`);
      },
    },
    {
      id: "api.credits",
      name: "user/credits",
      needs: SIGNED_IN,
      timeoutMs: 30_000,
      async run(ctx, ms) {
        const raw = await ctx.account.requireApi().call("GET", API_PATHS.credits, undefined, ms - 2_000);
        const present = CREDIT_FIELDS.filter((f) => isRecord(raw) && f in raw);
        if (present.length === 0) return fail(`${API_PATHS.credits}: none of ${CREDIT_FIELDS.join(", ")} in Resp (fields: ${fields(raw)})`);
        const c = parseCredits(raw);
        ctx.credits = c;
        const missing = CREDIT_FIELDS.filter((f) => !present.includes(f));
        return pass(
          `daily ${c.daily} + monthly ${c.monthly} + package ${c.package} = ${c.total}` +
            (missing.length > 0 ? `; missing ${missing.join(", ")} (counted as 0)` : "") +
            (c.total <= 0 ? "; no credits left: submissions would pause" : ""),
        );
      },
    },
  ];
}

/** The first page of the video list, its items, and one video's detail. */
export function listFacts(): CheckFact[] {
  return [
    {
      id: "api.list",
      name: "list/personal Resp.data",
      needs: SIGNED_IN,
      timeoutMs: 30_000,
      async run(ctx, ms) {
        const resp = await ctx.account.requireApi().call("POST", API_PATHS.listPersonal, listBody(0), ms - 2_000);
        if (!isRecord(resp)) return fail(`${API_PATHS.listPersonal}: Resp is ${JSON.stringify(resp)?.slice(0, 60)}`);
        if (resp.data !== null && resp.data !== undefined && !Array.isArray(resp.data)) return fail(`Resp.data is not a list (fields: ${fields(resp)})`);
        if (!("data" in resp)) return fail(`no Resp.data (fields: ${fields(resp)})`);
        const items = Array.isArray(resp.data) ? resp.data : [];
        ctx.list = { resp, items };
        return pass(`${items.length} video${items.length === 1 ? "" : "s"} on the first page${resp.data === null ? " (data: null)" : ""}`);
      },
    },
    {
      id: "api.listNext",
      name: "list/personal paging",
      needs: LISTED,
      timeoutMs: 5_000,
      async run(ctx) {
        const { resp, items } = ctx.list!;
        const seen = LIST_PAGING_FIELDS.filter((k) => k in resp).map((k) => `${k} ${JSON.stringify(resp[k])?.slice(0, 20)}`);
        // No source shows this endpoint's paging: whatever comes is news, and none is fine too.
        if (seen.length === 0) return unknown(`no paging fields (${items.length} item(s)); the service pages by count`);
        return pass(seen.join(", "));
      },
    },
    {
      id: "api.itemFields",
      name: "list item fields",
      needs: LISTED,
      timeoutMs: 5_000,
      async run(ctx) {
        const { items } = ctx.list!;
        if (items.length === 0) return unknown(NO_VIDEOS);
        const parsed: ListItem[] = [];
        for (const [i, raw] of items.entries()) {
          const item = listItemSchema.safeParse(raw);
          if (!item.success) {
            const where = item.error.issues.map((issue) => issue.path.join(".")).join(", ");
            return fail(`item ${i}: ${where} missing or not readable (fields: ${fields(raw)})`);
          }
          parsed.push(item.data);
        }
        const withPrompt = parsed.filter((v) => typeof v.prompt === "string").length;
        if (withPrompt === 0) return fail(`no item has a prompt (fields: ${fields(items[0])}); reconciliation matches by prompt`);
        const finished = parsed.filter((v) => v.video_status === 1);
        const withUrl = finished.filter((v) => v.url).length;
        if (finished.length > 0 && withUrl === 0) return fail(`${finished.length} finished (video_status 1) item(s), none with a url (fields: ${fields(items[0])})`);
        const newest = parsed[0]!;
        const url = finished.length === 0 ? "url not judged (no finished video on this page)" : `url on ${withUrl}/${finished.length} finished`;
        return pass(`${parsed.length} item(s): video_id, video_status on all; prompt on ${withPrompt}/${parsed.length}; ${url}; newest ${newest.video_id}`);
      },
    },
    {
      id: "api.itemTime",
      name: "list item creation time",
      needs: LISTED,
      timeoutMs: 5_000,
      async run(ctx) {
        const { items } = ctx.list!;
        if (items.length === 0) return unknown(NO_VIDEOS);
        const item = listItemSchema.safeParse(items[0]);
        if (!item.success) return unknown("the newest item is not readable (see list item fields)");
        const v = item.data;
        const field = v.created_at !== null && v.created_at !== undefined ? "created_at" : v.create_time !== null && v.create_time !== undefined ? "create_time" : null;
        if (field === null) return fail(`neither created_at nor create_time in the newest item (fields: ${fields(items[0])}); reconciliation needs it`);
        const raw = v[field];
        const at = createdAtMs(v);
        if (at === null) return fail(`${field} ${JSON.stringify(raw)} is not a readable time`);
        const now = Date.now();
        const read = `${field} ${JSON.stringify(raw)} read as ${new Date(at).toISOString()}`;
        if (at > now + 10 * 60_000) return fail(`${read}, in the future (now ${new Date(now).toISOString()}): a unit or time-zone misreading`);
        if (at < EARLIEST_PLAUSIBLE) return fail(`${read}, before Pixverse existed: a unit misreading`);
        ctx.hints.creationTimeField = field;
        return pass(`${read} (${ago(now - at)}; now ${new Date(now).toISOString()})`);
      },
    },
    {
      id: "api.statuses",
      name: "video_status values",
      needs: LISTED,
      timeoutMs: 5_000,
      async run(ctx) {
        const { items } = ctx.list!;
        if (items.length === 0) return unknown(NO_VIDEOS);
        const seen = new Map<string, { status: number; kind: string; n: number }>();
        for (const raw of items) {
          const item = listItemSchema.safeParse(raw);
          if (!item.success) continue;
          const kind = mapPixverseVideo(toPixverseVideo(item.data)).kind;
          const key = `${item.data.video_status}/${kind}`;
          const entry = seen.get(key) ?? { status: item.data.video_status, kind, n: 0 };
          entry.n += 1;
          seen.set(key, entry);
        }
        const all = [...seen.values()].sort((a, b) => a.status - b.status);
        const text = all.map((e) => `${e.status} ×${e.n} (${e.kind})`).join(", ");
        const strange = all.filter((e) => e.kind === "unknown");
        if (strange.length > 0) {
          return fail(`${text}: ${strange.map((e) => e.status).join(", ")} unknown to domain/status.ts (such videos wait until the job's deadline)`);
        }
        return pass(`${text} on the first page`);
      },
    },
    {
      id: "api.detail",
      name: "list/detail of the newest video",
      needs: LISTED,
      timeoutMs: 30_000,
      async run(ctx, ms) {
        const { items } = ctx.list!;
        if (items.length === 0) return unknown(NO_VIDEOS);
        const newest = listItemSchema.safeParse(items[0]);
        if (!newest.success) return unknown("the newest item is not readable (see list item fields)");
        const id = newest.data.video_id;
        const item = await ctx.account.requireApi().videoDetail(id, ms - 2_000);
        if (item === null) return fail(`${API_PATHS.listDetail} {video_id: ${id}}: the answer is not readable as a video`);
        if (item.video_id !== id) return fail(`asked for ${id}, answered video_id ${item.video_id}`);
        return pass(`video_id ${id}: video_status ${item.video_status}${item.url ? ", url set" : ""}`);
      },
    },
  ];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function fields(value: unknown): string {
  if (!isRecord(value)) return value === undefined ? "none" : typeof value;
  const keys = Object.keys(value);
  return keys.length === 0 ? "none" : keys.slice(0, 15).join(", ") + (keys.length > 15 ? ", …" : "");
}

function planName(raw: unknown): string {
  if (isRecord(raw)) {
    for (const key of ["plan_name", "current_plan_name", "name", "plan"]) {
      const value = raw[key];
      if (typeof value === "string" && value) return value;
    }
    return `(no name; fields: ${fields(raw)})`;
  }
  return "(none)";
}

function ago(ms: number): string {
  if (ms < 0) return "just now";
  if (ms < 120_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 2 * 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return `${Math.round(ms / 86_400_000)} days ago`;
}
