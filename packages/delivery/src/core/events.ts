import type { Verdict } from './classify';

/**
 * What the delivery worker reports as it goes: for logs and metrics. Listeners must not throw
 * (what they throw is swallowed).
 */
export type DeliveryEvent =
  /** A connection to one address of an MX host is being attempted. */
  | { readonly type: 'connect'; readonly domain: string; readonly host: string; readonly address: string }
  /** That address could not take the message; the next one is tried. */
  | {
      readonly type: 'host-failed';
      readonly domain: string;
      readonly host: string;
      readonly address: string;
      readonly failure: string;
      readonly detail: string;
    }
  /** A host answered 421 (RFC 5321 §3.8): it is paused until `until` (epoch ms). */
  | { readonly type: 'host-paused'; readonly domain: string; readonly host: string; readonly until: number }
  /** An MTA-STS check: in `testing` mode a `violation` is only reported, in `enforce` mode it defers. */
  | {
      readonly type: 'mta-sts';
      readonly domain: string;
      readonly mode: 'enforce' | 'testing' | 'none';
      readonly result: 'ok' | 'violation';
      readonly detail: string;
    }
  /** A recipient's outcome for this attempt. `messageId` is absent for `sendDirect`. */
  | {
      readonly type: 'recipient';
      readonly messageId?: string;
      readonly domain: string;
      readonly recipient: string;
      readonly verdict: Verdict;
    }
  /**
   * The connection was lost after the final dot: the message may have been delivered and will
   * be sent again (at-least-once, as Postfix logs it).
   */
  | {
      readonly type: 'possible-duplicate';
      readonly messageId?: string;
      readonly domain: string;
      readonly host: string;
      readonly recipients: readonly string[];
    }
  /** A DSN was enqueued to `to` about `messageId`. */
  | {
      readonly type: 'dsn';
      readonly messageId: string;
      readonly to: string;
      readonly dsnId: string;
      readonly actions: readonly string[];
    }
  /** Something went wrong in the worker itself (queue unavailable, ...); it keeps running. */
  | { readonly type: 'error'; readonly error: unknown };

/** A {@link DeliveryEvent} listener. */
export type DeliveryEventListener = (event: DeliveryEvent) => void;
