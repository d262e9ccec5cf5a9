/**
 * Tracing: typed events per stage and a pino-compatible logger. Both are off by default and
 * cost one boolean check when off. Secrets never reach either: AUTH lines are redacted.
 */
import type { Reply } from '@smtpkit/wire';
import type { ReplyVerb } from '../core/client-session';
import type { TlsInfo } from '../core/results';

/** A pino/console-compatible logger; each method takes an object and a message. */
export interface Logger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

/** What a client reports while it works (see {@link ConnectOptions.onEvent}). */
export type ClientEvent =
  /** TCP (or implicit TLS) connected. */
  | { readonly type: 'connect'; readonly server: string }
  /** TLS established (implicit or STARTTLS). */
  | { readonly type: 'tls'; readonly server: string; readonly tls: TlsInfo }
  /** A command line was written; AUTH arguments are replaced by `<redacted>`. */
  | { readonly type: 'command'; readonly server: string; readonly line: string }
  /** A reply arrived (`verb` is what it answers; `greeting` for the banner, `unsolicited` for one nobody asked for). */
  | {
      readonly type: 'reply';
      readonly server: string;
      readonly verb: ReplyVerb | 'greeting' | 'unsolicited';
      readonly reply: Reply;
    }
  /** Bytes after STARTTLS's 220 were thrown away (RFC 3207 §4.2). */
  | { readonly type: 'discarded'; readonly server: string; readonly bytes: number }
  /** The connection closed. */
  | { readonly type: 'close'; readonly server: string; readonly error: Error | undefined };

/** Event sink + logger, bundled. */
export interface Tracer {
  readonly enabled: boolean;
  emit(event: ClientEvent): void;
}

/** Builds a {@link Tracer}; `enabled` is false (and `emit` never called) when neither is set. */
export function createTracer(
  onEvent: ((event: ClientEvent) => void) | undefined,
  logger: Logger | undefined,
): Tracer {
  if (onEvent === undefined && logger === undefined) return { enabled: false, emit: () => {} };
  return {
    enabled: true,
    emit(event) {
      onEvent?.(event);
      if (logger !== undefined) {
        if (event.type === 'close' && event.error !== undefined) {
          logger.warn(
            { event: event.type, server: event.server, err: event.error.message },
            'smtp connection closed',
          );
        } else {
          logger.debug({ ...event }, `smtp ${event.type}`);
        }
      }
    },
  };
}

const decoder = new TextDecoder();

/** The printable form of a command line, secrets redacted (AUTH and its continuation lines). */
export function describeCommand(bytes: Uint8Array, secret: boolean): string {
  if (secret) return '<redacted>';
  const text = decoder.decode(bytes.subarray(0, Math.min(bytes.length, 600))).replace(/\r\n$/, '');
  if (/^AUTH /i.test(text))
    return text.split(' ').slice(0, 2).join(' ') + (text.split(' ').length > 2 ? ' <redacted>' : '');
  return text;
}
