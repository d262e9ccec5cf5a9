/** A raw SMTP client over a socket, for tests that must control every byte. */
import { connect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import type {
  Backend,
  BackendSession,
  ConnectionInfo,
  CreateServerOptions,
  SmtpServer,
} from '@smtpkit/server';
import { createServer } from '@smtpkit/server';
import { formatPath, type Path } from '@smtpkit/wire';

export class RawClient {
  private buffer = '';
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(public socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  static async connectTls(port: number, servername?: string): Promise<RawClient> {
    const socket = tlsConnect({
      port,
      host: '127.0.0.1',
      rejectUnauthorized: false,
      ...(servername ? { servername } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  write(data: string | Uint8Array): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Waits for one complete reply (through its final `ddd ` line); returns its text. */
  async reply(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(this.buffer);
      if (m) {
        this.buffer = this.buffer.slice(m[0].length);
        return m[0];
      }
      if (this.closed) throw new Error(`connection closed; buffered: ${JSON.stringify(this.buffer)}`);
      if (Date.now() > deadline) throw new Error(`no reply; buffered: ${JSON.stringify(this.buffer)}`);
      await this.wait(deadline - Date.now());
    }
  }

  /** Sends a line and returns the reply. */
  async command(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** Reads the greeting, then sends EHLO, one MAIL, one RCPT and DATA: the body comes next. */
  async openData(): Promise<void> {
    await this.reply();
    await this.command('EHLO c');
    await this.command('MAIL FROM:<a@example.org>');
    await this.command('RCPT TO:<b@example.org>');
    await this.command('DATA');
  }

  /** Waits until the server closes; returns what it wrote meanwhile. */
  async untilClosed(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('still open');
      await this.wait(deadline - Date.now());
    }
    const rest = this.buffer;
    this.buffer = '';
    return rest;
  }

  /** Upgrades to TLS after a 220 to STARTTLS. */
  async startTls(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.socket = secure;
    this.buffer = '';
    this.attach(secure);
  }

  close(): void {
    this.socket.destroy();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, ms));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** A message the recording backend stored. */
export interface StoredMessage {
  readonly from: string;
  readonly to: string[];
  readonly body: string;
  readonly connection: ConnectionInfo;
}

/** What a recording backend saw. */
export interface Recorder {
  readonly messages: StoredMessage[];
  readonly mails: string[];
  readonly events: string[];
  readonly connections: ConnectionInfo[];
}

const text = (path: Path) => formatPath(path);

/** A backend that stores whole messages in memory (after the stream ends), with hooks. */
export function recordingBackend(hooks: Partial<BackendSession> = {}): {
  backend: Backend;
  recorder: Recorder;
} {
  const recorder: Recorder = { messages: [], mails: [], events: [], connections: [] };
  const backend: Backend = {
    openSession(connection) {
      recorder.connections.push(connection);
      let from = '';
      let to: string[] = [];
      return {
        async mail(reversePath, params, context) {
          recorder.mails.push(text(reversePath));
          recorder.events.push('mail');
          await hooks.mail?.(reversePath, params, context);
          from = text(reversePath);
          to = [];
        },
        async rcpt(forwardPath, params, context) {
          recorder.events.push('rcpt');
          await hooks.rcpt?.(forwardPath, params, context);
          to.push(text(forwardPath));
        },
        async data(body, context) {
          recorder.events.push('data');
          if (hooks.data) return hooks.data(body, context);
          const chunks: Buffer[] = [];
          for await (const chunk of body) chunks.push(Buffer.from(chunk));
          recorder.messages.push({ from, to, body: Buffer.concat(chunks).toString('latin1'), connection });
          return undefined;
        },
        reset() {
          recorder.events.push('reset');
        },
        ...(hooks.auth ? { auth: hooks.auth } : {}),
      };
    },
  };
  return { backend, recorder };
}

/** Starts a server on a free loopback port. */
export async function startServer(
  options: Omit<CreateServerOptions, 'hostname' | 'backend'> & Partial<Pick<CreateServerOptions, 'backend'>>,
  hooks: Partial<BackendSession> = {},
): Promise<{ server: SmtpServer; port: number; recorder: Recorder }> {
  const { backend, recorder } = recordingBackend(hooks);
  const server = createServer({ hostname: 'mx.test', backend, ...options });
  const address = await server.listen({ port: 0, host: '127.0.0.1' });
  return { server, port: address.port, recorder };
}
