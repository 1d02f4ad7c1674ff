/** Where the command line reads and writes: the process's streams, or a test's buffers. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** The environment (`DATABASE_URL`). */
  env: Record<string, string | undefined>;
  /** Whether stdout is a terminal: progress lines are drawn only there, never into a log. */
  isTTY?: boolean;
}

const numbers = new Intl.NumberFormat('en-US');

/** 12345 → "12,345". */
export function formatCount(count: number): string {
  return numbers.format(count);
}

/** "1 expired session", "12,345 expired sessions". */
export function formatSessions(count: number, adjective = ''): string {
  const noun = count === 1 ? 'session' : 'sessions';
  return `${formatCount(count)} ${adjective ? `${adjective} ` : ''}${noun}`;
}

/** Milliseconds since `start` (a `performance.now()`) as "1.2 s". */
export function formatElapsed(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(1)} s`;
}

/** A status line redrawn in place with `\r` on a terminal, and not written at all elsewhere. */
export class ProgressLine {
  private shown = false;

  constructor(private readonly io: CliIo) {}

  update(text: string): void {
    if (!this.io.isTTY) return;
    // \x1b[K clears what a longer previous line left on the right.
    this.io.stdout.write(`\r${text}\x1b[K`);
    this.shown = true;
  }

  /** Erases the line, so that the final result (or an error) starts on a clean line. */
  clear(): void {
    if (!this.shown) return;
    this.io.stdout.write('\r\x1b[K');
    this.shown = false;
  }
}
