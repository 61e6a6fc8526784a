// Where log lines go: a file descriptor (standard output), in buffered synchronous writes.
//
// Our own instead of pino.destination (SonicBoom): on bench/api.sh SonicBoom's write path cost 40 % of the
// service's CPU at LOG_LEVEL=info (it measures the byte length of its whole pending buffer on every line, then
// converts and slices it on every write), get_status 0.53 × hello with it. This keeps lines in an array and
// joins them once per write.
//
// - Lines leave in one synchronous write once `minBytes` are pending, and at least every `flushMs` when traffic
//   is low; a hard kill (SIGKILL) loses at most the last `flushMs`.
// - A full pipe (EAGAIN: Bun makes standard output non-blocking, and a slow log reader fills the pipe) never
//   blocks the event loop: the unwritten bytes are kept and retried every `flushMs`. At most `maxBytes` wait;
//   past that, new lines are dropped and counted, and the next line that gets through says how many.
// - A closed reader (EPIPE) or any other write error is ignored: a log line is not worth crashing the service.
// - At exit (`flushSync`), what is pending is written, waiting for a stuck reader up to `exitWaitMs`.
import { writeSync } from "node:fs";

export interface LineWriterOptions {
  /** Pending bytes that trigger a write. Default 64 KiB (a write per 8 KiB cost about 0.2 µs more per line). */
  minBytes?: number;
  /** A write at least this often while lines are pending. Default 100 ms. */
  flushMs?: number;
  /** The most bytes kept while the reader is stuck; past it lines are dropped. Default 1 MiB. */
  maxBytes?: number;
  /** At exit, how long to keep retrying a full pipe. Default 2000 ms. */
  exitWaitMs?: number;
  /** The write itself (tests pass one): like fs.writeSync, the bytes written, or it throws. */
  write?: (fd: number, bytes: Uint8Array) => number;
}

const encoder = new TextEncoder();

export class LineWriter {
  private lines: string[] = [];
  /** Characters in `lines` (a UTF-16 count: close enough to bytes to decide when to write). */
  private chars = 0;
  /** Bytes a previous write left unwritten (the pipe was full). */
  private unwritten: Uint8Array | null = null;
  private dropped = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly minBytes: number;
  private readonly flushMs: number;
  private readonly maxBytes: number;
  private readonly exitWaitMs: number;
  private readonly writeBytes: (fd: number, bytes: Uint8Array) => number;

  constructor(
    private readonly fd: number,
    options: LineWriterOptions = {},
  ) {
    this.minBytes = options.minBytes ?? 64 * 1024;
    this.flushMs = options.flushMs ?? 100;
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
    this.exitWaitMs = options.exitWaitMs ?? 2000;
    this.writeBytes = options.write ?? writeSync;
  }

  /** One line, ending in its newline (pino's stream interface). */
  write(line: string): boolean {
    const pending = this.chars + (this.unwritten?.length ?? 0);
    if (pending + line.length > this.maxBytes) {
      this.dropped++;
      return false;
    }
    if (this.dropped > 0) {
      const note = `{"level":"warn","time":"${new Date().toISOString()}","dropped_lines":${this.dropped},"msg":"log lines dropped: the log reader was too slow"}\n`;
      this.dropped = 0;
      this.push(note);
    }
    this.push(line);
    if (this.chars >= this.minBytes && this.unwritten === null) this.flush();
    else this.timer ??= this.startTimer();
    return true;
  }

  /** Writes what is pending now, as far as the reader takes it; never blocks. */
  flush(): void {
    if (this.unwritten !== null && !this.drain()) return;
    if (this.chars === 0) return;
    const text = this.lines.length === 1 ? this.lines[0]! : this.lines.join("");
    this.lines = [];
    this.chars = 0;
    this.unwritten = encoder.encode(text);
    this.drain();
  }

  /** At exit: everything pending, retrying a full pipe for up to `exitWaitMs`. */
  flushSync(): void {
    const deadline = Date.now() + this.exitWaitMs;
    this.flush();
    while ((this.unwritten !== null || this.chars > 0) && Date.now() < deadline) {
      Bun.sleepSync(10);
      this.flush();
    }
    this.stopTimer();
  }

  private push(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
  }

  /** Writes the unwritten bytes; true when they are all out (or the reader is gone and they are given up). */
  private drain(): boolean {
    let bytes = this.unwritten!;
    try {
      while (bytes.length > 0) bytes = bytes.subarray(this.writeBytes(this.fd, bytes));
    } catch (err) {
      if ((err as { code?: string }).code === "EAGAIN") {
        this.unwritten = bytes;
        this.timer ??= this.startTimer();
        return false;
      }
      // EPIPE, EBADF, …: the bytes cannot be written; give them up.
    }
    this.unwritten = null;
    return true;
  }

  private startTimer(): ReturnType<typeof setInterval> {
    const timer = setInterval(() => {
      this.flush();
      if (this.unwritten === null && this.chars === 0) this.stopTimer();
    }, this.flushMs);
    timer.unref?.();
    return timer;
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
