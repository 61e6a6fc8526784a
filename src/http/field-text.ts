// Rules every text parameter shares (schemas.ts, the webhooks' callback_url field).

/** Nothing but white space: JavaScript's (what trim removes) and NEL (U+0085), Unicode's White_Space too. */
const BLANK = /^[\s\u0085]*$/;
export const isBlank = (s: string): boolean => BLANK.test(s);

/** A field given twice (`prompt=a&prompt=b`, two form parts) arrives as an array: say so, not "must be a string". */
export const typeProblem = (field: string, v: unknown): string =>
  Array.isArray(v)
    ? `${field} is given more than once`
    : `${field} must be a string`;
