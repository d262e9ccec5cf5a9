import type { SecureContext } from 'node:tls';
import type { Reply } from '@smtpkit/wire';
import type { ResolvedExtensions, ResolvedLimits } from '../core/options';
import type { AuthMechanism } from '../core/sasl';
import type { Backend, ConnectionInfo } from './backend';
import type { Connection } from './connection';
import type { MetricsCounter } from './metrics';
import type { ServerEvents } from './server';

/** Log levels of {@link ServerLogger}. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * A logger: any object with these methods (pino, console wrappers). Messages never contain
 * AUTH secrets or message content.
 */
export interface ServerLogger {
  /** Detail for debugging (socket errors). */
  debug?(message: string, fields?: Record<string, unknown>): void;
  /** Normal events (timeouts, refused connections). */
  info?(message: string, fields?: Record<string, unknown>): void;
  /** Suspicious input (bad PROXY headers). */
  warn?(message: string, fields?: Record<string, unknown>): void;
  /** Backend faults. */
  error?(message: string, fields?: Record<string, unknown>): void;
}

/** Resolved options a connection reads. @internal */
export interface RuntimeOptions {
  readonly hostname: string;
  readonly banner: string | undefined;
  readonly lmtp: boolean;
  readonly extensions: ResolvedExtensions;
  readonly limits: ResolvedLimits;
  readonly authMechanisms: readonly AuthMechanism[];
  readonly allowInsecureAuth: boolean;
  readonly requireAuth: boolean;
  readonly bareLineEndings: 'reject' | 'normalize';
}

/** What the server gives each connection. @internal */
export interface ServerRuntime {
  readonly options: RuntimeOptions;
  readonly backend: Backend;
  readonly metrics: MetricsCounter;
  readonly tlsAvailable: boolean;
  readonly closing: boolean;
  readonly nonce: () => string;
  readonly sniCallback:
    | ((servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void)
    | undefined;
  secureContext(): SecureContext | undefined;
  nextId(): string;
  isTrustedProxy(address: string): boolean;
  isTrustedXclient(address: string): boolean;
  /** Counts the connection against the limits, or returns the refusal. */
  admit(info: ConnectionInfo): Reply | undefined;
  release(connection: Connection, counted: boolean): void;
  emit<E extends keyof ServerEvents>(event: E, payload: Parameters<ServerEvents[E]>[0]): void;
  hasListeners(event: keyof ServerEvents): boolean;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}
