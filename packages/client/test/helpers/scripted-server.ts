/**
 * A raw `node:net` peer that plays a script byte for byte, so client tests see exactly what
 * crossed the wire (no SMTP server library in between to normalise anything).
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';

export interface ScriptPeer {
  /** Writes raw text (or bytes) to the client in one write. */
  send(data: string | Uint8Array): Promise<void>;
  /** Waits until exactly `text` arrived next and fails the script when it differs. */
  expect(text: string): Promise<void>;
  /** Waits for `n` bytes and returns them. */
  read(n: number): Promise<Buffer>;
  /** Waits for the next CRLF-terminated line (returned without the CRLF). */
  line(): Promise<string>;
  /** Waits until the client closes its side; resolves with the bytes it sent meanwhile. */
  closed(): Promise<Buffer>;
  /** Server-side TLS on the same socket (after a 220 to STARTTLS). */
  startTls(options: { key: string; cert: string }): Promise<void>;
  /** Closes the connection now. */
  end(): void;
  destroy(): void;
  /** Every byte the client sent so far, in order. */
  readonly received: () => string;
}

export interface ScriptedServer {
  readonly port: number;
  /** Resolves when every connection's script finished; rejects with the first failure. */
  done(): Promise<void>;
  close(): Promise<void>;
}

class Peer implements ScriptPeer {
  private buffer = Buffer.alloc(0);
  private all: Buffer[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  constructor(private socket: Socket | TLSSocket) {
    this.attach(socket);
  }
  private attach(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.all.push(chunk);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }
  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
  private async waitFor(predicate: () => boolean): Promise<void> {
    while (!predicate()) {
      if (this.ended) throw new Error(`peer closed; had ${JSON.stringify(this.buffer.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }
  received = (): string => Buffer.concat(this.all).toString('latin1');
  async send(data: string | Uint8Array): Promise<void> {
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) =>
      this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, () => resolve()),
    );
  }
  async read(n: number): Promise<Buffer> {
    await this.waitFor(() => this.buffer.length >= n);
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }
  async expect(text: string): Promise<void> {
    const got = (await this.read(Buffer.byteLength(text, 'latin1'))).toString('latin1');
    if (got !== text) throw new Error(`expected ${JSON.stringify(text)}, got ${JSON.stringify(got)}`);
  }
  async line(): Promise<string> {
    await this.waitFor(() => this.buffer.indexOf('\r\n') >= 0);
    const i = this.buffer.indexOf('\r\n');
    const out = this.buffer.subarray(0, i).toString('latin1');
    this.buffer = this.buffer.subarray(i + 2);
    return out;
  }
  async closed(): Promise<Buffer> {
    await new Promise<void>((resolve) => {
      const check = () => {
        if (this.ended) resolve();
        else this.waiter = check;
      };
      check();
    });
    const out = this.buffer;
    this.buffer = Buffer.alloc(0);
    return out;
  }
  async startTls(options: { key: string; cert: string }): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    plain.removeAllListeners('close');
    this.buffer = Buffer.alloc(0);
    const secure = new TLSSocket(plain, { isServer: true, key: options.key, cert: options.cert });
    this.socket = secure;
    this.attach(secure);
    await new Promise<void>((resolve, reject) => {
      secure.once('secure', () => resolve());
      secure.once('error', reject);
      secure.once('close', () => reject(new Error('closed during the TLS handshake')));
    });
  }
  end(): void {
    this.socket.end();
  }
  destroy(): void {
    this.socket.destroy();
  }
}

/** Starts a loopback server that runs `script` for each connection (implicit TLS with `options.tls`). */
export async function scriptedServer(
  script: (peer: ScriptPeer) => Promise<void>,
  options: { tls?: { key: string; cert: string } } = {},
): Promise<ScriptedServer> {
  const runs: Promise<void>[] = [];
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const peer = new Peer(socket);
    runs.push(
      script(peer).finally(() => {
        socket.end();
      }),
    );
  };
  const server: Server = options.tls
    ? createTlsServer(options.tls, onConnection)
    : createServer(onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    done: async () => {
      await Promise.all(runs);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
