/**
 * Drives a ServerSession in memory: text in, reply text out, backend calls answered by a
 * synchronous handler (throw to reject). Byte-exact transcripts without sockets.
 */
import { type BackendCall, ServerSession, type ServerSessionOptions } from '@smtpkit/server';

export type CallHandler = (call: BackendCall) => unknown;

export class Harness {
  readonly session: ServerSession;
  readonly calls: BackendCall[] = [];
  readonly body: Uint8Array[] = [];
  closed = false;
  tls = false;
  dataOpened = 0;
  private output = '';

  constructor(
    options: Partial<ServerSessionOptions> = {},
    private readonly handler: CallHandler = () => undefined,
  ) {
    this.session = new ServerSession({ hostname: 'mx.test', nonce: () => 'NONCE', ...options });
  }

  /** Starts the session; returns the greeting. */
  start(): string {
    this.session.start();
    return this.drain();
  }

  /** Feeds text (or bytes); returns everything the server wrote in answer. */
  send(input: string | Uint8Array): string {
    this.session.receive(typeof input === 'string' ? Buffer.from(input, 'latin1') : input);
    return this.drain();
  }

  /** The body bytes the backend received so far, as latin1 text. */
  bodyText(): string {
    return Buffer.concat(this.body).toString('latin1');
  }

  drain(): string {
    for (let action = this.session.nextAction(); action; action = this.session.nextAction()) {
      switch (action.type) {
        case 'send':
          this.output += Buffer.from(action.bytes).toString('latin1');
          break;
        case 'call': {
          this.calls.push(action.call);
          let value: unknown;
          try {
            value = action.call.kind === 'delay' ? undefined : this.handler(action.call);
          } catch (error) {
            this.session.rejectCall(error);
            break;
          }
          this.session.resolveCall(value);
          break;
        }
        case 'data-open':
          this.dataOpened++;
          this.body.length = 0;
          break;
        case 'body':
          this.body.push(action.chunk);
          break;
        case 'starttls':
          this.tls = true;
          break;
        case 'close':
          this.closed = true;
          break;
      }
    }
    const out = this.output;
    this.output = '';
    return out;
  }
}

/** The reply codes in a chunk of server output, one per final reply line. */
export function codes(output: string): number[] {
  return output
    .split('\r\n')
    .filter((line) => /^\d{3} /.test(line) || /^\d{3}$/.test(line))
    .map((line) => Number(line.slice(0, 3)));
}
