// One HTTP byte range (RFC 9110 §14.1.2) over a file of `size` bytes. A header that is not one valid byte
// range (another unit, bad syntax, several ranges) is ignored: the whole file is sent, as the RFC allows.
// Video players ask for one range at a time.

export type RangeAnswer = { kind: "whole" } | { kind: "unsatisfiable" } | { kind: "part"; start: number; end: number };

const ONE_RANGE = /^bytes=(\d*)-(\d*)$/;

export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: "whole" };
  const m = ONE_RANGE.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return { kind: "whole" };
  const [first, last] = [m[1]!, m[2]!];
  if (first === "") {
    // The last `n` bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "part", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? Infinity : Number(last);
  // `a-b` with b < a is not a valid range (ignored); one starting past the end cannot be satisfied.
  if (end < start) return { kind: "whole" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "part", start, end: Math.min(end, size - 1) };
}
