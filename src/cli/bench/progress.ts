// A one-line progress bar on stderr, drawn only when stderr is a terminal (never in logs or pipes).

export class ProgressBar {
  private readonly tty = process.stderr.isTTY === true;
  private lastDraw = 0;

  constructor(private readonly label: string) {}

  /** `fraction` in [0, 1]; redraws at most every 100 ms. */
  update(fraction: number, detail: string): void {
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && fraction < 1) return;
    this.lastDraw = now;
    const width = 30;
    const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
    process.stderr.write(`\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${detail}\x1b[K`);
  }

  done(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
  }
}
