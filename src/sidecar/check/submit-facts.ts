// `--submit`: one text generation through the configured path (PIXVERSE_SUBMIT) with the configured
// settings, then its progress polled as the service polls it, until it is final or the wait runs out.
import { mapPixverseVideo, type PixverseVideo } from "../../domain/status.ts";
import type { GenerationSettings } from "../../domain/settings.ts";
import { expectedCredits } from "../pixverse.ts";
import { pause } from "../waits.ts";
import { fail, pass, seconds, type Fact } from "./runner.ts";
import type { CheckContext } from "./context.ts";

type CheckFact = Fact<CheckContext>;

/** The most one submission may take, from the page's readiness to Pixverse's answer. */
const SUBMIT_BUDGET_MS = 120_000;

export function submitFacts(submitMode: string, waitMs: number): CheckFact[] {
  return [
    {
      id: "submit.create",
      name: `submit one video (${submitMode})`,
      // Credits are spent only on a creation page whose facts held; the ui path also needs its button.
      needs: ["session.signIn", "create.page", "create.prompt", ...(submitMode === "ui" ? ["create.button"] : [])],
      timeoutMs: SUBMIT_BUDGET_MS + 15_000,
      async run(ctx) {
        const settings = ctx.config.generation;
        const prompt = ctx.submit!.prompt;
        const result = await ctx.account.submit({ kind: "t2v", prompt, settings }, SUBMIT_BUDGET_MS);
        if (!result.ok) {
          const code = result.code ? ` (ErrCode ${result.code})` : "";
          const created = result.kind === "unknown_outcome" ? "it may exist: look at the account's library before trying again" : "nothing was created";
          return fail(`${result.kind}${code}: ${result.message}; ${created}`);
        }
        ctx.submitted = { id: result.pixverseId, at: Date.now() };
        return pass(`video_id ${result.pixverseId}; ${describeSettings(settings)}; ${cost(settings)}; prompt ${JSON.stringify(prompt)}`);
      },
    },
    {
      id: "submit.finish",
      name: "video finished",
      needs: ["submit.create"],
      timeoutMs: waitMs + 60_000,
      async run(ctx) {
        const { id, at } = ctx.submitted!;
        const deadline = at + waitMs;
        let last: PixverseVideo | undefined;
        let listed = false;
        for (let round = 0; Date.now() < deadline; round++) {
          // A cadence, not a wait for a condition: often at first, then every 5 s.
          await pause(Math.min(round < 5 ? 1_000 : 5_000, Math.max(0, deadline - Date.now())));
          const polled = await ctx.account.poll([id], Math.max(1_000, Math.min(30_000, deadline - Date.now())));
          if (polled.gone.includes(id)) return fail(`Pixverse no longer has video ${id} (not listed, list/detail 500008)`);
          const video = polled.videos.find((v) => v.id === id);
          if (!video) continue;
          listed = true;
          last = video;
          const outcome = mapPixverseVideo(video);
          const took = seconds(Math.round((Date.now() - at) / 100) * 100);
          if (outcome.kind === "succeeded") return pass(`finished in ${took}: ${outcome.url}${await creditsSpent(ctx)}`);
          if (outcome.kind !== "pending" && outcome.kind !== "unknown") return fail(`ended as ${outcome.kind} (video_status ${video.status}) after ${took}`);
        }
        return fail(`not finished within ${seconds(waitMs)} (${listed ? `last video_status ${last?.status}` : "never listed"}); the video may still finish`);
      },
    },
  ];
}

function describeSettings(s: GenerationSettings): string {
  const extras = [s.audio ? "audio" : "", s.multiShot ? "multi-shot" : ""].filter(Boolean);
  return `${s.model} ${s.quality} ${s.duration} s ${s.aspectRatio}${extras.length ? ` + ${extras.join(", ")}` : ""}`;
}

function cost(settings: GenerationSettings): string {
  const expected = expectedCredits(settings);
  if (expected.credits === null) return `expected cost unknown (no source prices ${settings.quality})`;
  const extras = expected.extras.length ? ` + ${expected.extras.join(", ")} (extra, amount unknown)` : "";
  return `expected ${expected.credits} credits${extras}`;
}

/** Credits before (from the credits fact) and now, so the operator sees what the video really cost. */
async function creditsSpent(ctx: CheckContext): Promise<string> {
  if (!ctx.credits) return "";
  const now = await ctx.account.credits().catch(() => null);
  if (!now) return "";
  return `; credits ${ctx.credits.total} → ${now.total} (spent ${ctx.credits.total - now.total})`;
}
