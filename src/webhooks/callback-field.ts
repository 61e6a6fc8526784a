// The `callback_url` parameter of both POST endpoints, as a zod field like the others in http/schemas.ts:
// absent, null or blank means no webhook (the contract as it was); anything else must pass the policy's
// checks (address.ts) or is a 400 naming the field.
import { z } from "@hono/zod-openapi";
import { CALLBACK_URL_MAX_LENGTH, callbackUrlProblem, type CallbackPolicy } from "./address.ts";
import { isBlank, typeProblem } from "../http/field-text.ts";

export function callbackUrlField(policy: CallbackPolicy) {
  return z
    .unknown()
    .transform((v, ctx): string | undefined => {
      if (v === undefined || v === null || (typeof v === "string" && isBlank(v))) return undefined;
      const problem = typeof v === "string" ? callbackUrlProblem(v, policy) : typeProblem("callback_url", v);
      if (problem === null) return v as string;
      ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    })
    .optional()
    .openapi(policy.enabled ? ON_DOC : OFF_DOC);
}

/** With webhooks on: what the instance takes. */
const ON_DOC = {
  type: "string" as const,
  format: "uri",
  maxLength: CALLBACK_URL_MAX_LENGTH,
  description:
    "Optional: an http or https URL that receives a signed `video.finished` POST when the video reaches a final state " +
    "(see the document's `webhooks`). No user name or password in it; loopback, private, link-local and other " +
    "non-public addresses are refused unless the operator allows them. A 400 when the service has no WEBHOOK_SECRET.",
  example: "https://backend.example.com/hooks/pixverse",
};

/** Without WEBHOOK_SECRET the document says what the instance takes: nothing but an empty value. */
const OFF_DOC = {
  type: "string" as const,
  maxLength: 0,
  description: "Webhooks are off on this instance (no WEBHOOK_SECRET): only an empty value is taken; any URL is a 400.",
  example: "",
};

