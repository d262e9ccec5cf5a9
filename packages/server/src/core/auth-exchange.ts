/**
 * The AUTH exchange driver (RFC 4954 §4): runs one SASL mechanism from `./sasl.ts` over `334`
 * challenges and base64 lines, asks the backend to verify, and slows down password guessing.
 * The session checks whether AUTH is allowed at all and owns the protocol state; this file
 * owns everything between `AUTH <mechanism>` and the final `235`/`5yz`.
 */
import type { Reply } from '@smtpkit/wire';
import type { ResolvedLimits } from './options';
import { replyForFailure } from './replies';
import {
  type AuthMechanism,
  type ChannelBinding,
  type SaslExchange,
  type ScramCredentials,
  startSasl,
} from './sasl';
import type { SessionIo } from './session-io';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** How the driver moves the session in and out of the `auth` state. @internal */
export interface AuthHooks {
  /** The exchange started: the session reads SASL lines now. */
  enter(): void;
  /** The exchange ended, whatever the outcome: back to reading commands. */
  leave(): void;
  /** The client authenticated as `username` (before the `235` is queued). */
  succeeded(username: string): void;
}

/** Drives AUTH exchanges for one connection, counting failures across them. @internal */
export class AuthExchange {
  private sasl: SaslExchange | undefined;
  private awaitingFinalAck: string | undefined;
  private failures = 0;

  constructor(
    private readonly io: SessionIo,
    private readonly hostname: string,
    private readonly limits: ResolvedLimits,
    private readonly nonce: () => string,
    private readonly hooks: AuthHooks,
  ) {}

  /**
   * Starts `mechanism` (already checked as offered), with the client's initial response if
   * any, on a connection with `channelBinding` data or none.
   */
  begin(
    mechanism: AuthMechanism,
    initialResponse: string | undefined,
    channelBinding?: ChannelBinding,
  ): void {
    const exchange = startSasl(mechanism, this.hostname, this.nonce(), channelBinding);
    this.sasl = exchange;
    this.awaitingFinalAck = undefined;
    this.hooks.enter();
    if (initialResponse === undefined) {
      this.io.send(334, undefined, b64encode(exchange.first));
      return;
    }
    if (!exchange.clientFirst) {
      this.end();
      this.io.send(501, '5.5.2', 'Initial response not allowed for this mechanism');
      return;
    }
    // RFC 4954 §4: `=` is an empty initial response.
    this.respond(exchange, initialResponse === '=' ? '' : initialResponse);
  }

  /** One line from the client while in the `auth` state. */
  line(text: string): void {
    if (this.awaitingFinalAck !== undefined) {
      const username = this.awaitingFinalAck;
      this.end();
      this.succeeded(username);
      return;
    }
    // RFC 4954 §4: `*` cancels the exchange.
    if (text === '*') {
      this.end();
      this.io.send(501, '5.0.0', 'Authentication aborted');
      return;
    }
    const exchange = this.sasl;
    if (!exchange) throw new TypeError('AUTH line without an exchange in progress');
    this.respond(exchange, text);
  }

  /** Abandons the exchange (e.g. an over-long line) and leaves the `auth` state. */
  end(): void {
    this.sasl = undefined;
    this.awaitingFinalAck = undefined;
    this.hooks.leave();
  }

  private respond(exchange: SaslExchange, base64: string): void {
    if (!BASE64.test(base64)) {
      this.end();
      this.io.send(501, '5.5.2', 'Cannot decode response');
      return;
    }
    const step = exchange.step(Buffer.from(base64, 'base64').toString('utf8'));
    switch (step.type) {
      case 'challenge':
        this.io.send(334, undefined, b64encode(step.data));
        return;
      case 'malformed':
        this.end();
        this.failed({ code: 501, enhanced: '5.5.2', lines: ['Malformed authentication response'] });
        return;
      case 'rejected':
        this.end();
        this.failed({ code: 535, enhanced: '5.7.8', lines: ['Authentication credentials invalid'] });
        return;
      case 'lookup':
        this.io.call(
          { kind: 'scram-credentials', username: step.username },
          (value) => {
            if (!exchange.supply) throw new TypeError('SASL lookup step from a mechanism without supply()');
            this.io.send(334, undefined, b64encode(exchange.supply(value as ScramCredentials | undefined)));
          },
          () => {
            this.end();
            this.io.send(454, '4.7.0', 'Temporary authentication failure');
          },
        );
        return;
      case 'done': {
        const request = step.request;
        this.io.call(
          { kind: 'auth', request },
          () => {
            const serverFinal = exchange.final?.();
            if (serverFinal !== undefined) {
              // RFC 4954 §4: additional data with success goes in a 334 the client acks.
              this.awaitingFinalAck = request.username;
              this.io.send(334, undefined, b64encode(serverFinal));
              return;
            }
            this.end();
            this.succeeded(request.username);
          },
          (error) => {
            this.end();
            // RFC 4954 §6: 454 4.7.0 for a temporary failure of the authentication backend.
            const reply = replyForFailure(error, {
              code: 454,
              enhanced: '4.7.0',
              lines: ['Temporary authentication failure'],
            });
            if (reply.code >= 500) this.failed(reply);
            else this.io.sendReply(reply);
          },
        );
        return;
      }
    }
  }

  private succeeded(username: string): void {
    this.hooks.succeeded(username);
    this.io.send(235, '2.7.0', 'Authentication successful');
  }

  private failed(reply: Reply): void {
    this.failures++;
    if (this.failures >= this.limits.maxAuthFailures) {
      this.io.send(421, '4.7.0', `${this.hostname} Error: too many failed authentication attempts`);
      this.io.close();
      return;
    }
    // Failures are answered late, longer each time, to slow down password guessing.
    const ms = this.limits.authFailureDelay * this.failures;
    if (ms <= 0) {
      this.io.sendReply(reply);
      return;
    }
    this.io.call(
      { kind: 'delay', ms },
      () => this.io.sendReply(reply),
      () => this.io.sendReply(reply),
    );
  }
}

/** Base64 of a challenge; an empty challenge is an empty `334 ` line (RFC 4954 §4). */
function b64encode(text: string): string {
  return text === '' ? '' : Buffer.from(text, 'utf8').toString('base64');
}
