// The contract's parameters as zod schemas. Messages name the rule; the field comes from the issue's path.
import { z } from "zod";
import { ID_MAX_LENGTH, PROMPT_MAX_CODE_POINTS } from "../domain/limits.ts";

/** Unicode code points, not UTF-16 units: 2048 emoji are 2048 characters. */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

// PostgreSQL text cannot hold NUL, and a lone surrogate is not a character: refuse both as malformed.
const storable = (s: string) => !s.includes("\u0000") && s.isWellFormed();

// One zod step per field (a transform that reports its own issue): a refine followed by a transform is
// two steps and a pipe, on every request of the hot paths.
const requiredText = (field: string, max: number) =>
  z.unknown().transform((v, ctx): string => {
    let problem: string | undefined;
    if (v === undefined || v === null || (typeof v === "string" && v.trim() === "")) problem = `${field} is required`;
    else if (typeof v !== "string") problem = `${field} must be a string`;
    else if (!storable(v)) problem = `${field} contains characters that are not allowed (NUL or broken Unicode)`;
    // At most `max` UTF-16 units is at most `max` code points: count only longer strings.
    else if (v.length > max && codePointLength(v) > max) problem = `${field} must be 1 to ${max} characters`;
    if (problem === undefined) return v as string;
    ctx.addIssue({ code: "custom", message: problem });
    return z.NEVER;
  });

export const promptField = requiredText("prompt", PROMPT_MAX_CODE_POINTS);
export const appBundleIdField = requiredText("app_bundle_id", ID_MAX_LENGTH);
export const apphudUserIdField = requiredText("apphud_user_id", ID_MAX_LENGTH);

/** A positive integer as a string of digits or a JSON integer. Ids past 2^53 cannot exist: they map to 0 (not found). */
export const videoIdField = z.unknown().transform((v, ctx): number => {
  if (v === undefined || v === null || v === "") {
    ctx.addIssue({ code: "custom", message: "video_id is required" });
    return z.NEVER;
  }
  if (!((typeof v === "string" && /^[0-9]+$/.test(v)) || (typeof v === "number" && Number.isInteger(v))) || Number(v) < 1) {
    ctx.addIssue({ code: "custom", message: "video_id must be a positive integer" });
    return z.NEVER;
  }
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : 0;
});

export const ownerSchema = z.object({ app_bundle_id: appBundleIdField, apphud_user_id: apphudUserIdField });
export const text2videoSchema = ownerSchema.extend({ prompt: promptField });
export const image2videoFieldsSchema = text2videoSchema;
export const getStatusSchema = ownerSchema.extend({ video_id: videoIdField });

export type Owner = z.infer<typeof ownerSchema>;
