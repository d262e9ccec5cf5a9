/**
 * The per-connection stage timer (RFC 5321 §4.5.3.2): one deadline for the current stage (a
 * command line, a body, the TLS handshake), re-armed only on progress or a stage change so a
 * client trickling bytes never extends it (slowloris).
 * @internal
 */
import { performance } from 'node:perf_hooks';

/** Which deadline applies; `none` while the session waits on the backend or is closed. @internal */
export type TimerStage = 'command' | 'data' | 'tls' | 'none';

/** One connection's stage deadline. @internal */
export class StageTimer {
  /**
   * One Node timer, rarely touched: a server moves a connection's deadline several times per
   * message, and re-arming a Node timer each time (list removal and insertion) costs more than
   * the rest of that bookkeeping. So moving the deadline only records it; when the timer goes
   * off early it re-arms itself for what is left, and it is re-armed at once only when the
   * new deadline comes before it.
   */
  private timer: NodeJS.Timeout | undefined;
  /** When the Node timer goes off (performance.now() ms); Infinity when it is not running. */
  private firesAt = Number.POSITIVE_INFINITY;
  /** The current stage's deadline; Infinity during `none`. */
  private deadline = Number.POSITIVE_INFINITY;
  private current: TimerStage = 'none';
  private progress = -1;
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
      this.deadline = Number.POSITIVE_INFINITY;
      return;
    }
    // Only progress (a whole command, a whole body) or a new stage moves the deadline.
    if (stage === this.current && progress === this.progress) return;
    this.current = stage;
    this.progress = progress;
    const now = performance.now();
    this.deadline = now + ms;
    if (this.deadline < this.firesAt) this.arm(now, ms);
  }

  /** Disarms the deadline for good (the connection is closing). */
  clear(): void {
    this.stopped = true;
    this.current = 'none';
    this.deadline = Number.POSITIVE_INFINITY;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Sets the Node timer to go off `ms` after `now`. */
  private arm(now: number, ms: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.firesAt = now + ms;
    this.timer = setTimeout(() => this.fire(), ms);
  }

  private fire(): void {
    this.timer = undefined;
    this.firesAt = Number.POSITIVE_INFINITY;
    // Waiting on the backend (or closed): that wait has its own deadline; the next update arms.
    if (this.deadline === Number.POSITIVE_INFINITY) return;
    const now = performance.now();
    const left = this.deadline - now;
    if (left > 0) {
      // The deadline moved since the timer was set: go off again when it is due.
      this.arm(now, Math.ceil(left));
      return;
    }
    const stage = this.current;
    // The next update must re-arm even without progress.
    this.progress = -1;
    this.deadline = Number.POSITIVE_INFINITY;
    this.onTimeout(stage);
  }
}
