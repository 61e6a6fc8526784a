// The webhook in the OpenAPI 3.1 document (its `webhooks` section): the request this service sends to a
// callback_url, with its headers and body, so a receiver can be written from /openapi.json alone.
import { z } from "@hono/zod-openapi";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { CONTRACT_STATUS } from "../domain/status.ts";
import { EVENT_ID_HEADER, SIGNATURE_HEADER, SUCCESS_STATUS, WEBHOOK_EVENT } from "./signature.ts";

const STATUSES = [SUCCESS_STATUS, ...Object.values(CONTRACT_STATUS).filter((s) => s !== CONTRACT_STATUS.generating)] as [string, ...string[]];

export const WebhookBody = z
  .object({
    event: z.literal(WEBHOOK_EVENT).openapi({ description: "Always `video.finished`: the video reached a final state." }),
    event_id: z.string().uuid().openapi({ description: "The event's id, the same on every retry: drop repeats by it." }),
    video_id: z.number().int().openapi({ description: "The id POST /text2video or /image2video answered." }),
    app_bundle_id: z.string(),
    apphud_user_id: z.string(),
    status: z.enum(STATUSES).openapi({ description: `"${SUCCESS_STATUS}" (with url), or the contract's failure string.` }),
    url: z.string().optional().openapi({ description: "The video's URL, on success only (what get_status answers)." }),
  })
  .openapi("VideoFinishedEvent");

export function registerWebhookDoc(registry: OpenAPIHono["openAPIRegistry"]): void {
  registry.registerWebhook({
    method: "post",
    path: WEBHOOK_EVENT,
    summary: "Sent to callback_url when the video reaches a final state",
    description:
      "One event per video, at its first final state (a later deletion at Pixverse sends none). Delivered at least once: " +
      "any answer but 2xx, a time-out or a network error is retried with exponential backoff (10 s doubling to 1 h, with " +
      "jitter) for at least WEBHOOK_RETRY_HOURS (24 h by default) with the same event_id and the same body bytes (with presigned media URLs, the url is signed afresh each time). " +
      `Verify ${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>, in constant time, and refuse an old t.`,
    request: {
      headers: z.object({
        [SIGNATURE_HEADER]: z.string().openapi({ description: "t=<unix seconds>,v1=<hex HMAC-SHA256(WEBHOOK_SECRET, \"<t>.<raw body>\")>", example: "t=1767225600,v1=5f2b…" }),
        [EVENT_ID_HEADER]: z.string().openapi({ description: "The body's event_id." }),
      }),
      body: {
        content: {
          "application/json": {
            schema: WebhookBody,
            examples: {
              success: {
                summary: "success",
                value: { event: WEBHOOK_EVENT, event_id: "0b8e4f0e-3f5d-4c1e-9d8a-2b7c6a1e5f00", video_id: 123, app_bundle_id: "com.example.videoapp", apphud_user_id: "user-1", status: SUCCESS_STATUS, url: "https://media.pixverse.ai/…/video.mp4" },
              },
              moderated: {
                summary: "moderated",
                value: { event: WEBHOOK_EVENT, event_id: "6c1d2a7b-0e9f-4a3b-8c5d-7e6f1a2b3c4d", video_id: 124, app_bundle_id: "com.example.videoapp", apphud_user_id: "user-1", status: CONTRACT_STATUS.moderated },
              },
            },
          },
        },
      },
    },
    responses: {
      200: { description: "Any 2xx marks the event delivered; anything else, or no answer within the time-out, is retried." },
    },
  });
}
