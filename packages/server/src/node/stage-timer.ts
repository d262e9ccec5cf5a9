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
  private timer: NodeJS.Timeout | undefined;
  private current: TimerStage = 'none';
  private progress = -1;
  private ms = 0;

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
    if (stage === 'none') {
      this.clear();
      this.current = stage;
      return;
    }
    // Only progress (a whole command, a whole body) or a new stage re-arms the timer.
    if (stage === this.current && progress === this.progress && this.timer) return;
    this.current = stage;
    this.progress = progress;
    if (this.timer && this.ms === ms) {
      this.timer.refresh();
      return;
    }
    this.clear();
    this.ms = ms;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onTimeout(this.current);
    }, ms);
  }

  /** Disarms the deadline. */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
