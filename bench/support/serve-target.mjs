/**
 * The server side of bench/server.bench.ts, one target per process, run with plain `node` on
 * the built packages (what users run: no TypeScript loader in between).
 * Usage: node bench/support/serve-target.mjs <smtpkit|smtp-server|node-floor> <port>
 */
const [target, portText] = process.argv.slice(2);
const port = Number(portText);

if (target === 'smtpkit') {
  const { createServer } = await import('@smtpkit/server');
  const server = createServer({
    hostname: 'bench.test',
    limits: { maxMessageSize: 64 * 1024 * 1024, maxConnections: 10_000, maxConnectionsPerIp: 10_000 },
    backend: {
      openSession: () => ({
        mail() {},
        rcpt() {},
        async data(body) {
          for await (const _ of body) {
            // drain
          }
        },
      }),
    },
  });
  await server.listen({ port, host: '127.0.0.1' });
} else if (target === 'smtp-server') {
  const { SMTPServer } = await import('smtp-server');
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: 64 * 1024 * 1024,
    maxClients: 10_000,
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => callback());
    },
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
} else if (target === 'node-floor') {
  // The ceiling for any Node server on node:net streams: no parsing, no validation, no
  // backend, no timers; the reply is chosen from a command's first octet, the end of a body
  // from its last five. Not an SMTP server: a reference for what the socket layer costs.
  const { createServer } = await import('node:net');
  const reply = (text) => Buffer.from(`${text}\r\n`);
  const greeting = reply('220 floor ESMTP');
  const ehlo = reply('250-floor\r\n250-PIPELINING\r\n250 8BITMIME');
  const ok = reply('250 2.0.0 Ok');
  const go = reply('354 End data with <CR><LF>.<CR><LF>');
  const bye = reply('221 2.0.0 Bye');
  createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.write(greeting);
    let inBody = false;
    let tail = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      if (inBody) {
        const last = chunk.length >= 5 ? chunk.subarray(-5) : Buffer.concat([tail, chunk]).subarray(-5);
        tail = last;
        if (last.toString('latin1') === '\r\n.\r\n') {
          inBody = false;
          socket.write(ok);
        }
        return;
      }
      const first = chunk[0] | 0x20;
      if (first === 0x64) {
        inBody = true;
        tail = Buffer.alloc(0);
        socket.write(go);
      } else if (first === 0x65 || first === 0x68) socket.write(ehlo);
      else if (first === 0x71) socket.end(bye);
      else socket.write(ok);
    });
  }).listen(port, '127.0.0.1');
} else {
  throw new Error(`unknown target ${target}`);
}
process.stdout.write('ready\n');
