/**
 * The per-connection stage timer (RFC 5321 §4.5.3.2): one deadline for the current stage (a
 * command line, a body, the TLS handshake), re-armed only on progress or a stage change so a
 * client trickling bytes never extends it (slowloris).
 * @internal
 */

/** Which deadline applies; `none` while the session waits on the backend or is closed. @internal */
export type TimerStage = 'command' | 'data' | 'tls' | 'none';

/** One connection's stage deadline. @internal */
export class StageTimer {
  /**
   * One Node timer for the connection's life, re-armed with `refresh()`: a server re-arms it
   * several times per message, and a new timer each time costs more than the rest of the
   * bookkeeping. During `none` it may still run; it then fires into nothing.
   */
  private timer: NodeJS.Timeout | undefined;
  private current: TimerStage = 'none';
  private progress = -1;
  private ms = 0;
  private stopped = false;

  /** @param onTimeout - Called once when the deadline passes (with the stage that ran out). */
  constructor(private readonly onTimeout: (stage: TimerStage) => void) {}

  /** The stage the timer was last armed for. */
  get stage(): TimerStage {
    return this.current;
  }

  /**
   * Arms the deadline of `stage` (`ms` long), unless it is already running for the same stage
   * and `progress` count; `none` disarms it.
   */
  update(stage: TimerStage, progress: number, ms: number): void {
    if (this.stopped) return;
    if (stage === 'none') {
      this.current = stage;
      return;
    }
    // Only progress (a whole command, a whole body) or a new stage re-arms the timer.
    if (stage === this.current && progress === this.progress) return;
    this.current = stage;
    this.progress = progress;
    if (this.timer !== undefined && this.ms === ms) {
      this.timer.refresh();
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.ms = ms;
    this.timer = setTimeout(() => this.fire(), ms);
  }

  /** Disarms the deadline for good (the connection is closing). */
  clear(): void {
    this.stopped = true;
    this.current = 'none';
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    const stage = this.current;
    // Waiting on the backend (or closed): that wait has its own deadline.
    if (stage === 'none') return;
    // Fired: the next update must re-arm even without progress.
    this.progress = -1;
    this.onTimeout(stage);
  }
}
