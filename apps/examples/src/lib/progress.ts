/**
 * A terminal progress bar for long training loops. On a TTY it redraws one line; when
 * output is piped (CI, logs) it prints a line at every 25% so logs stay short.
 */
export class ProgressBar {
  private readonly start = performance.now();
  private lastDraw = 0;
  private lastQuarter = -1;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  /** Reports `done` of `total` units, with an optional short status (e.g. the loss). */
  update(done: number, status = ''): void {
    const frac = Math.min(1, done / this.total);
    const now = performance.now();
    if (this.tty) {
      if (now - this.lastDraw < 50 && done < this.total) return;
      this.lastDraw = now;
      const width = 30;
      const filled = Math.round(frac * width);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      const secs = ((now - this.start) / 1000).toFixed(1);
      process.stderr.write(
        `\r  ${this.label} ${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${secs}s ${status}\x1b[K`,
      );
    } else {
      const quarter = Math.floor(frac * 4);
      if (quarter > this.lastQuarter) {
        this.lastQuarter = quarter;
        console.error(`  ${this.label} ${(frac * 100).toFixed(0)}% ${status}`);
      }
    }
  }

  /** Ends the bar (a newline on a TTY). */
  done(status = ''): void {
    this.update(this.total, status);
    if (this.tty) process.stderr.write('\n');
  }
}
