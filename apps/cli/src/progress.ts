/**
 * Progress on stderr: a bar redrawn in place when stderr is a terminal, plain count lines
 * otherwise (logs and CI keep a readable record). Nothing goes to stdout, which may carry data.
 */
export class Progress {
  private readonly tty: boolean;
  private lastLineMs = 0;
  private lastPlain = -1;

  constructor(
    private readonly label: string,
    private total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = stream.isTTY === true;
  }

  setTotal(total: number): void {
    this.total = total;
  }

  update(done: number): void {
    if (this.tty) {
      const width = 30;
      const ratio = this.total > 0 ? Math.min(1, done / this.total) : 1;
      const filled = Math.round(ratio * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      this.stream.write(`\r${this.label} ${bar} ${Math.round(ratio * 100)}% ${done}/${this.total}`);
      return;
    }
    // Plain counts: at most one line a second, and always the last one.
    const now = Date.now();
    if (done === this.lastPlain || (now - this.lastLineMs < 1000 && done < this.total)) return;
    this.lastLineMs = now;
    this.lastPlain = done;
    this.stream.write(`${this.label}: ${done}/${this.total}\n`);
  }

  done(): void {
    if (this.tty) this.stream.write('\n');
  }
}
