/**
 * The session's output: the queue of actions the Node layer drains with `nextAction()`, the
 * one outstanding backend call, and reply formatting (cached, and the replies of every mail
 * transaction formatted once up front, since a server sends them millions of times).
 * @internal
 */
import type { Reply } from '@smtpkit/wire';
import { ReplyWriter } from './replies';
import type { BackendCall, ServerAction } from './session-actions';
import type { SessionIo } from './session-io';

/** A backend call the session waits on, with what to do when it settles. @internal */
export interface PendingCall {
  readonly call: BackendCall;
  onResolve(value: unknown): void;
  onReject(error: unknown): void;
}

/** Pre-formatted replies of the transaction fast path. @internal */
export interface TransactionReplies {
  /** `250 2.1.0 Ok` to MAIL. */
  readonly mailOk: Uint8Array;
  /** `250 2.1.5 Ok` to RCPT. */
  readonly rcptOk: Uint8Array;
  /** `354` to DATA. */
  readonly startData: Uint8Array;
  /** `250 2.0.0 Ok: queued` after the body. */
  readonly queued: Uint8Array;
}

/** Actions queued for the Node layer, in order. @internal */
export class ActionQueue implements Omit<SessionIo, 'close'> {
  /** The backend call the session waits on, if any. */
  pending: PendingCall | undefined;
  /** The replies of every transaction, formatted once. */
  readonly fast: TransactionReplies;
  private readonly replies: ReplyWriter;
  private readonly actions: (ServerAction | undefined)[] = [];
  /** The next action to hand out, and how many are queued: the array is reused, never cut. */
  private at = 0;
  private count = 0;

  /** @param enhancedStatusCodes - Whether replies carry RFC 2034 enhanced codes. */
  constructor(enhancedStatusCodes: boolean) {
    this.replies = new ReplyWriter(enhancedStatusCodes);
    this.fast = {
      mailOk: this.replies.format(250, '2.1.0', 'Ok'),
      rcptOk: this.replies.format(250, '2.1.5', 'Ok'),
      startData: this.replies.format(354, undefined, 'End data with <CR><LF>.<CR><LF>'),
      queued: this.replies.format(250, '2.0.0', 'Ok: queued'),
    };
  }

  /** The next queued action, or `undefined` when the queue is empty. */
  next(): ServerAction | undefined {
    if (this.at === this.count) return undefined;
    const action = this.actions[this.at];
    // Cleared, so a handed-out body chunk is not kept alive by the queue.
    this.actions[this.at] = undefined;
    this.at++;
    if (this.at === this.count) {
      this.at = 0;
      this.count = 0;
    }
    return action;
  }

  /** Queues an action. */
  push(action: ServerAction): void {
    this.actions[this.count++] = action;
  }

  /** Queues pre-formatted reply bytes. */
  sendBytes(code: number, bytes: Uint8Array): void {
    this.push({ type: 'send', bytes, code });
  }

  /** Queues a one-line reply. */
  send(code: number, enhanced: Reply['enhanced'], text: string): void {
    this.push({ type: 'send', bytes: this.replies.format(code, enhanced, text), code });
  }

  /** Queues a reply given whole. */
  sendReply(reply: Reply): void {
    this.push({ type: 'send', bytes: this.replies.formatReply(reply), code: reply.code });
  }

  /** Queues a backend call and remembers what to do when it settles. */
  call(call: BackendCall, onResolve: (value: unknown) => void, onReject: (error: unknown) => void): void {
    this.pending = { call, onResolve, onReject };
    this.push({ type: 'call', call });
  }

  /** The outstanding call, no longer outstanding; a `TypeError` when there is none. */
  takePending(): PendingCall {
    const pending = this.pending;
    if (!pending) throw new TypeError('no backend call is outstanding');
    this.pending = undefined;
    return pending;
  }
}
