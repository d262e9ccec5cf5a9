/**
 * A minimal scripted SMTP peer for loopback tests (until @smtpkit/testing's `startSmtpPeer`
 * lands): greeting, EHLO, optional STARTTLS, MAIL, RCPT, DATA, RSET, QUIT, with hooks that
 * pick the replies and can drop the connection after the final dot.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';

export interface PeerScript {
  /** The greeting reply; default `220 peer ESMTP`. */
  greeting?: () => string;
  /** Reply to a RCPT (the address without brackets); default 250. */
  rcpt?: (address: string) => string;
  /** Reply to the end of data, or `'drop'` to close without replying. */
  dataEnd?: (message: string) => string | 'drop';
  /** Offer STARTTLS with this key/cert. */
  tls?: { key: string; cert: string };
  /** Advertise DSN. Default true. */
  dsn?: boolean;
}

export interface Peer {
  readonly host: string;
  readonly port: number;
  /** Messages accepted (end of data answered 2yz or dropped). */
  readonly messages: { from: string; to: string[]; data: string; tls: boolean }[];
  connections: number;
  close(): Promise<void>;
}

export async function startPeer(host: string, port: number, script: PeerScript = {}): Promise<Peer> {
  const messages: Peer['messages'] = [];
  const sockets = new Set<Socket>();
  const peer: Peer = {
    host,
    port: 0,
    messages,
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((raw) => {
    peer.connections++;
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => {});
    let socket: Socket = raw;
    let buffer = '';
    let inData = false;
    let data: string[] = [];
    let from = '';
    let to: string[] = [];
    let secure = false;
    const send = (line: string) => socket.write(`${line}\r\n`);
    const greeting = script.greeting?.() ?? '220 peer ESMTP';
    send(greeting);
    if (greeting.startsWith('421') || greeting.startsWith('554')) {
      socket.end();
      return;
    }
    const onLine = (line: string) => {
      if (inData) {
        if (line === '.') {
          inData = false;
          const text = data.join('\r\n') + (data.length ? '\r\n' : '');
          const reply = script.dataEnd?.(text) ?? '250 2.0.0 queued';
          if (reply === 'drop' || reply.startsWith('2')) messages.push({ from, to, data: text, tls: secure });
          if (reply === 'drop') {
            socket.destroy();
            return;
          }
          send(reply);
          data = [];
        } else {
          data.push(line.startsWith('.') ? line.slice(1) : line);
        }
        return;
      }
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO') {
        const caps = ['250-peer', '250-PIPELINING', '250-8BITMIME', '250-ENHANCEDSTATUSCODES'];
        if (script.dsn !== false) caps.push('250-DSN');
        if (script.tls && !secure) caps.push('250-STARTTLS');
        caps.push('250 SIZE 10000000');
        send(caps.join('\r\n'));
      } else if (verb === 'HELO') send('250 peer');
      else if (verb === 'STAR' && script.tls && !secure) {
        send('220 2.0.0 go ahead');
        socket.removeAllListeners('data');
        const tls = new TLSSocket(socket, {
          isServer: true,
          secureContext: createSecureContext({ key: script.tls.key, cert: script.tls.cert }),
        });
        tls.on('error', () => {});
        socket = tls;
        secure = true;
        buffer = '';
        socket.on('data', onData);
      } else if (verb === 'MAIL') {
        from = /<([^>]*)>/.exec(line)?.[1] ?? '';
        to = [];
        send('250 2.1.0 ok');
      } else if (verb === 'RCPT') {
        const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
        const reply = script.rcpt?.(address) ?? '250 2.1.5 ok';
        if (reply.startsWith('2')) to.push(address);
        send(reply);
      } else if (verb === 'DATA') {
        if (to.length === 0) send('554 5.5.1 no valid recipients');
        else {
          inData = true;
          send('354 go');
        }
      } else if (verb === 'RSET') send('250 ok');
      else if (verb === 'NOOP') send('250 ok');
      else if (verb === 'QUIT') {
        send('221 bye');
        socket.end();
      } else send('502 5.5.2 not implemented');
    };
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        onLine(line);
        if (socket.destroyed) return;
      }
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return Object.assign(peer, { port: typeof address === 'object' && address ? address.port : port });
}

/** Starts peers on several loopback addresses sharing one port (MX hosts differ by address, not port). */
export async function startPeers(hosts: readonly string[], scripts: readonly PeerScript[]): Promise<Peer[]> {
  for (let tries = 0; tries < 20; tries++) {
    const first = await startPeer(hosts[0]!, 0, scripts[0]);
    const rest: Peer[] = [];
    try {
      for (let i = 1; i < hosts.length; i++) rest.push(await startPeer(hosts[i]!, first.port, scripts[i]));
      return [first, ...rest];
    } catch {
      await Promise.all([first, ...rest].map((p) => p.close()));
    }
  }
  throw new Error('no common free port');
}
