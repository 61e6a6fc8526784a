// The `callback_url` parameter of both POST endpoints, as a zod field like the others in http/schemas.ts:
// absent, null or blank means no webhook (the contract as it was); anything else must pass the policy's
// checks (address.ts) or is a 400 naming the field.
import { z } from "@hono/zod-openapi";
import { CALLBACK_URL_MAX_LENGTH, callbackUrlProblem, type CallbackPolicy } from "./address.ts";

export function callbackUrlField(policy: CallbackPolicy) {
  return z
    .unknown()
    .transform((v, ctx): string | undefined => {
      if (v === undefined || v === null || (typeof v === "string" && v.trim() === "")) return undefined;
      const problem = typeof v === "string" ? callbackUrlProblem(v, policy) : "callback_url must be a string";
      if (problem === null) return v as string;
      ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    })
    .optional()
    .openapi({
      type: "string",
      format: "uri",
      maxLength: CALLBACK_URL_MAX_LENGTH,
      description:
        "Optional: an http or https URL that receives a signed `video.finished` POST when the video reaches a final state " +
        "(see the document's `webhooks`). No user name or password in it; loopback, private, link-local and other " +
        "non-public addresses are refused unless the operator allows them. A 400 when the service has no WEBHOOK_SECRET.",
      example: "https://backend.example.com/hooks/pixverse",
    });
}
