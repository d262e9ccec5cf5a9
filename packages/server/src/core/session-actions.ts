/**
 * What a `ServerSession` asks of the Node layer: actions to perform, and the backend calls
 * among them. Plain data, so the session stays sans-I/O.
 */
import type { MailParameters, Path, RcptParameters, Reply } from '@smtpkit/wire';
import type { AuthRequest } from './sasl';
import type { XclientAttributes } from './xclient';

/** A backend operation the session needs; answer with `resolveCall` or `rejectCall`. */
export type BackendCall =
  | { readonly kind: 'mail'; readonly reversePath: Path; readonly params: MailParameters }
  | { readonly kind: 'rcpt'; readonly forwardPath: Path; readonly params: RcptParameters }
  /**
   * The body ended (end the stream given with `data-open`) or was refused mid-stream
   * (`refusal`: fail the stream). Resolve with the backend's `data()` result once it settled.
   */
  | { readonly kind: 'data-end'; readonly refusal?: Reply }
  | { readonly kind: 'reset' }
  | { readonly kind: 'auth'; readonly request: AuthRequest }
  /** SCRAM needs the user's stored credentials: resolve with `ScramCredentials | undefined`. */
  | { readonly kind: 'scram-credentials'; readonly username: string }
  /** XCLIENT from a trusted client: reopen the backend session with these attributes. */
  | { readonly kind: 'xclient'; readonly attributes: XclientAttributes }
  /** Wait `ms` milliseconds (AUTH failure delay), then resolve. */
  | { readonly kind: 'delay'; readonly ms: number };

/** What the Node layer must do next. */
export type ServerAction =
  /** Write these bytes (a reply; `code` for metrics). */
  | { readonly type: 'send'; readonly bytes: Uint8Array; readonly code: number }
  /** Perform a backend call; the session waits for `resolveCall`/`rejectCall`. */
  | { readonly type: 'call'; readonly call: BackendCall }
  /** Start the backend's `data(body)` with a new body stream (DATA or first BDAT). */
  | { readonly type: 'data-open' }
  /** A chunk of the unstuffed body for the open stream. */
  | { readonly type: 'body'; readonly chunk: Uint8Array }
  /** Upgrade the connection to TLS now (the 220 was sent before this). */
  | { readonly type: 'starttls' }
  /** Close the connection after writing what was sent. */
  | { readonly type: 'close' };
