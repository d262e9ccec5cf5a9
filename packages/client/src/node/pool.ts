/**
 * A pool of reused connections to one server. A connection that went stale while idle
 * (closed by the server, or answering 421) is replaced and the send retried once on a fresh
 * connection — only when the failure came before the server could have accepted the message.
 */
import { isSmtpReplyError } from '@smtpkit/wire';
import type { Envelope } from '../core/envelope';
import { isSmtpClientError } from '../core/errors';
import type { SendResult } from '../core/results';
import { abortReason, throwIfAborted } from './abort';
import { type ClientConnection, openConnection } from './client';
import type { ConnectOptions } from './options';
import type { MessageBody, SendOptions, TransactionProgress } from './transaction';

/** Options for {@link createPool}. */
export interface PoolOptions extends Omit<ConnectOptions, 'signal'> {
  /** Most connections open at once. Default 5. */
  readonly maxConnections?: number | undefined;
  /** Messages sent on one connection before it is QUIT and replaced. Default 100. */
  readonly maxMessagesPerConnection?: number | undefined;
  /** Milliseconds an idle connection is kept before QUIT. Default 30 000. */
  readonly idleTimeout?: number | undefined;
}

/** A pool of connections; see {@link createPool}. */
export interface SmtpPool {
  /** Sends one message on a pooled connection (same contract as `SmtpClient.sendMail`). */
  sendMail(envelope: Envelope, body: MessageBody, options?: SendOptions): Promise<SendResult>;
  /** Open connections (busy + idle). */
  readonly size: number;
  /** Idle connections. */
  readonly idle: number;
  /** QUITs every connection; later sends reject. */
  close(): Promise<void>;
  /** `await using pool = createPool(...)`. */
  [Symbol.asyncDispose](): Promise<void>;
}

interface Slot {
  readonly client: ClientConnection;
  sent: number;
  idleTimer: NodeJS.Timeout | undefined;
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

/** Whether a failure on a reused connection shows it was stale (not the message's fault). */
function isStaleFailure(error: unknown): boolean {
  if (isSmtpClientError(error)) {
    return (
      (error.code === 'ERR_SMTP_CONNECTION' || error.code === 'ERR_SMTP_PROTOCOL') &&
      !error.messageMayBeAccepted
    );
  }
  // RFC 5321 §3.8: "421 ... closing transmission channel", e.g. the server's idle timeout.
  return isSmtpReplyError(error) && error.replyCode === 421;
}

/**
 * Creates a pool sending through up to `maxConnections` reused connections.
 *
 * @example
 * ```ts
 * await using pool = createPool({ host: 'smtp.example.com', port: 587, security: 'starttls', maxConnections: 10 });
 * await Promise.all(messages.map((m) => pool.sendMail(m.envelope, m.body)));
 * ```
 */
export function createPool(options: PoolOptions): SmtpPool {
  const maxConnections = positiveInt(options.maxConnections, 5, 'maxConnections');
  const maxMessages = positiveInt(options.maxMessagesPerConnection, 100, 'maxMessagesPerConnection');
  const idleTimeout = positiveInt(options.idleTimeout, 30_000, 'idleTimeout');
  const idle: Slot[] = [];
  const waiting: { resolve: (slot: Slot | undefined) => void }[] = [];
  let open = 0;
  let closed = false;

  const retire = (slot: Slot) => {
    if (slot.idleTimer !== undefined) clearTimeout(slot.idleTimer);
    open -= 1;
    slot.client.quit().catch(() => slot.client.close());
    wakeOne();
  };

  // A waiter blocked on `maxConnections` gets `undefined` = "a slot freed up, open one".
  const wakeOne = () => {
    const next = waiting.shift();
    next?.resolve(undefined);
  };

  const release = (slot: Slot) => {
    if (closed || slot.client.closed || slot.sent >= maxMessages) {
      retire(slot);
      return;
    }
    const next = waiting.shift();
    if (next !== undefined) {
      next.resolve(slot);
      return;
    }
    slot.idleTimer = setTimeout(() => {
      const i = idle.indexOf(slot);
      if (i >= 0) idle.splice(i, 1);
      retire(slot);
    }, idleTimeout);
    slot.idleTimer.unref();
    idle.push(slot);
  };

  const openSlot = async (signal: AbortSignal | undefined): Promise<Slot> => {
    open += 1;
    try {
      const client = await openConnection({ ...options, signal });
      return { client, sent: 0, idleTimer: undefined };
    } catch (error) {
      open -= 1;
      wakeOne();
      throw error;
    }
  };

  const acquire = async (
    signal: AbortSignal | undefined,
    fresh: boolean,
  ): Promise<{ slot: Slot; reused: boolean }> => {
    for (;;) {
      if (closed) throw new TypeError('the pool is closed');
      throwIfAborted(signal);
      if (!fresh) {
        for (let slot = idle.pop(); slot !== undefined; slot = idle.pop()) {
          if (slot.idleTimer !== undefined) clearTimeout(slot.idleTimer);
          slot.idleTimer = undefined;
          if (!slot.client.closed) return { slot, reused: true };
          retire(slot);
        }
      }
      if (open < maxConnections) return { slot: await openSlot(signal), reused: false };
      if (fresh && idle.length > 0) {
        // Make room for the fresh connection a retry needs.
        retire(idle.shift() as Slot);
        continue;
      }
      const handed = await new Promise<Slot | undefined>((resolve, reject) => {
        const onAbort = () => {
          const i = waiting.indexOf(entry);
          if (i >= 0) waiting.splice(i, 1);
          reject(abortReason(signal as AbortSignal));
        };
        const entry = {
          resolve: (slot: Slot | undefined) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(slot);
          },
        };
        waiting.push(entry);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (handed !== undefined) {
        if (!handed.client.closed && !fresh) return { slot: handed, reused: true };
        retire(handed);
      }
    }
  };

  const attempt = async (
    envelope: Envelope,
    body: MessageBody,
    sendOptions: SendOptions,
    fresh: boolean,
  ): Promise<{ result?: SendResult; retry?: unknown }> => {
    const { slot, reused } = await acquire(sendOptions.signal, fresh);
    const progress: TransactionProgress = { bodyStarted: false, endSent: false };
    try {
      const result = await slot.client.sendMailTracked(envelope, body, sendOptions, progress);
      slot.sent += 1;
      release(slot);
      return { result };
    } catch (error) {
      // The client closes its own connection when the failure left it in an unknown state;
      // otherwise (MAIL refused, a message the server cannot take) it stays reusable.
      release(slot);
      const replayable = !progress.bodyStarted || body instanceof Uint8Array;
      if (
        !fresh &&
        reused &&
        !progress.endSent &&
        replayable &&
        isStaleFailure(error) &&
        !sendOptions.signal?.aborted
      ) {
        return { retry: error };
      }
      throw error;
    }
  };

  return {
    async sendMail(envelope, body, sendOptions = {}) {
      const first = await attempt(envelope, body, sendOptions, false);
      if (first.result !== undefined) return first.result;
      // The retry runs on a fresh connection and never retries again.
      const second = await attempt(envelope, body, sendOptions, true);
      if (second.result === undefined) throw second.retry;
      return second.result;
    },
    get size() {
      return open;
    },
    get idle() {
      return idle.length;
    },
    async close() {
      closed = true;
      const slots = idle.splice(0);
      for (const w of waiting.splice(0)) w.resolve(undefined);
      await Promise.all(
        slots.map(async (slot) => {
          if (slot.idleTimer !== undefined) clearTimeout(slot.idleTimer);
          open -= 1;
          await slot.client.quit().catch(() => slot.client.close());
        }),
      );
    },
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}
