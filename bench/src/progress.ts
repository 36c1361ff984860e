/**
 * The progress indicator on stderr: `[3/8] latency at 10000 events/s ⠹ 12 s  produced 80000, visible 61000`.
 * On a terminal the line is redrawn in place a few times a second; otherwise (CI logs, pipes) a line is printed
 * every few seconds, so a log shows the run is alive without thousands of lines.
 */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Progress {
  private step = 0;
  private title = '';
  private detail = '';
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private lastPlain = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly steps: number) {}

  /** Starts the next step; the previous one is ended with its time. */
  begin(title: string): void {
    this.end();
    this.step++;
    this.title = title;
    this.detail = '';
    this.startedAt = Date.now();
    this.lastPlain = 0;
    this.timer = setInterval(() => this.draw(), this.tty ? 200 : 1000);
    this.timer.unref();
    this.draw();
  }

  /** What the step is doing now (counts, phase). */
  update(detail: string): void {
    this.detail = detail;
  }

  /** A line that stays (a result as it comes in). */
  log(text: string): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`      ${text}\n`);
  }

  end(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    const line = `[${this.step}/${this.steps}] ${this.title}: done in ${this.elapsed()} s`;
    process.stderr.write(this.tty ? `\r\x1b[K${line}\n` : `${line}\n`);
  }

  private elapsed(): number {
    return Math.round((Date.now() - this.startedAt) / 1000);
  }

  private draw(): void {
    const head = `[${this.step}/${this.steps}] ${this.title}`;
    if (this.tty) {
      this.frame = (this.frame + 1) % FRAMES.length;
      const line = `${head} ${FRAMES[this.frame]} ${this.elapsed()} s  ${this.detail}`;
      process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
    } else if (Date.now() - this.lastPlain >= 5000) {
      this.lastPlain = Date.now();
      process.stderr.write(`${head} … ${this.elapsed()} s  ${this.detail}\n`);
    }
  }
}
