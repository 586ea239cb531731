import type { Clock } from './clock.js';
import { writeLine, type OutputStream } from './command.js';
import { truncate } from './text-format.js';

const CLEAR_LINE = '\r\x1b[2K';

/**
 * A status line for long waits. On a terminal it is one line rewritten in place; in a
 * pipe or CI log it is a plain line, at most one per `plainEveryMs`.
 */
export class ProgressLine {
  private shown = false;
  private lastPlainAt?: number;

  constructor(
    private readonly stream: OutputStream,
    private readonly clock: Clock,
    private readonly plainEveryMs: number,
  ) {}

  update(text: string): void {
    if (this.stream.isTTY) {
      const width = (this.stream.columns ?? 80) - 1;
      this.stream.write(`${CLEAR_LINE}${truncate(text, width)}`);
      this.shown = true;
      return;
    }
    const now = this.clock.now();
    if (this.lastPlainAt === undefined || now - this.lastPlainAt >= this.plainEveryMs) {
      writeLine(this.stream, text);
      this.lastPlainAt = now;
    }
  }

  /** Removes the terminal line, so other output starts on a clean line. */
  clear(): void {
    if (this.shown) {
      this.stream.write(CLEAR_LINE);
      this.shown = false;
    }
  }
}
