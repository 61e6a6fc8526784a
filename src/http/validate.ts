// Runs a zod schema over parameters and turns its first problem into the contract's 400, naming the field.
import type { z } from "zod";
import { invalidParameter } from "./errors.ts";

export function validate<S extends z.ZodType>(schema: S, fields: Record<string, unknown>): z.infer<S> {
  const result = schema.safeParse(fields);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = String(issue.path[0] ?? "body");
  const message = issue.code === "custom" ? issue.message : `${field} is invalid`;
  throw invalidParameter(field, message);
}
