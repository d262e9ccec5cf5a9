/**
 * The narrow surface the stage drivers (AUTH exchange, body stage) use to talk back to the
 * `ServerSession` that owns them: queue a reply, make a backend call, close. Keeping it this
 * small is what lets each stage live in its own file without reaching into the session.
 * @internal
 */
import type { Reply } from '@smtpkit/wire';
import type { BackendCall } from './session-actions';

/** Output side of a session, as the stage drivers see it. @internal */
export interface SessionIo {
  /** Queues a one-line reply. */
  send(code: number, enhanced: Reply['enhanced'], text: string): void;
  /** Queues a reply given whole. */
  sendReply(reply: Reply): void;
  /** Queues a backend call; exactly one of the continuations runs when it settles. */
  call(call: BackendCall, onResolve: (value: unknown) => void, onReject: (error: unknown) => void): void;
  /** Closes the connection after what was queued. */
  close(): void;
}
