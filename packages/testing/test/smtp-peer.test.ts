// startSmtpPeer: scripted faults a delivery worker must survive, seen from a raw SMTP client
// (and from nodemailer for the ordinary path, STARTTLS included).
import { once } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { createTestCertificates, type SmtpPeer, startSmtpPeer } from '@smtpkit/testing';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';

/** A minimal line-oriented SMTP client: reads whole (multi-line) replies. */
class RawClient {
  private buffered = '';
  private readonly waiting: ((reply: { code: number; text: string } | undefined) => void)[] = [];
  private ended = false;
  constructor(private socket: Socket) {
    this.attach(socket);
  }
  static async open(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = connectTcp(port, host);
    await once(socket, 'connect');
    return new RawClient(socket);
  }
  private attach(socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      this.flush();
    });
    socket.on('close', () => {
      this.ended = true;
      this.flush();
    });
    socket.on('error', () => {});
  }
  private flush() {
    for (;;) {
      const match = /^((?:\d{3}-[^\n]*\n)*)(\d{3})(?: [^\n]*)?\n/.exec(this.buffered);
      if (!match) break;
      const whole = match[0];
      this.buffered = this.buffered.slice(whole.length);
      this.waiting.shift()?.({ code: Number(match[2]), text: whole });
    }
    if (this.ended) for (const w of this.waiting.splice(0)) w(undefined);
  }
  reply(): Promise<{ code: number; text: string } | undefined> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.flush();
    });
  }
  async command(line: string) {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }
  write(text: string) {
    this.socket.write(text);
  }
  get closed() {
    return this.ended;
  }
  async closedPromise() {
    if (!this.ended) await once(this.socket, 'close');
  }
  destroy() {
    this.socket.destroy();
  }
}

let peer: SmtpPeer | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

async function transaction(client: RawClient, rcpts: string[]) {
  const codes: (number | undefined)[] = [];
  codes.push((await client.command('EHLO client.test'))?.code);
  codes.push((await client.command('MAIL FROM:<alice@sender.test>'))?.code);
  for (const rcpt of rcpts) codes.push((await client.command(`RCPT TO:<${rcpt}>`))?.code);
  return codes;
}

describe('startSmtpPeer', () => {
  it('accepts and records messages (RFC 5321 §4.1.1.4 dot-unstuffed), nodemailer as the client', async () => {
    peer = await startSmtpPeer({});
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: peer.port,
      secure: false,
      ignoreTLS: true,
    });
    await transport.sendMail({
      from: 'alice@sender.test',
      to: ['bob@example.test', 'carol@example.test'],
      subject: 'hi',
      text: 'line one\n.leading dot\n',
    });
    transport.close();
    const [message] = await peer.waitForMessages(1);
    expect(message).toMatchObject({
      connection: 0,
      sender: 'alice@sender.test',
      recipients: ['bob@example.test', 'carol@example.test'],
      tls: false,
      acknowledged: true,
    });
    const text = new TextDecoder().decode(message?.body);
    expect(text).toContain('Subject: hi\r\n');
    expect(text).toContain('\r\n.leading dot\r\n');
    expect(text.endsWith('\r\n')).toBe(true);
  });

  it('greylisting: 451 4.7.1 on the first attempt, accepted on the retry', async () => {
    peer = await startSmtpPeer({ greylist: true });
    const first = await RawClient.open(peer.port);
    expect((await first.reply())?.code).toBe(220);
    expect(await transaction(first, ['bob@example.test'])).toEqual([250, 250, 451]);
    first.destroy();
    const second = await RawClient.open(peer.port);
    await second.reply();
    expect(await transaction(second, ['bob@example.test', 'new@example.test'])).toEqual([250, 250, 250, 451]);
    second.destroy();
  });

  it('refuses listed recipients with 550 5.1.1 and accepts the rest', async () => {
    peer = await startSmtpPeer({ rejectRecipients: ['Nobody@example.test'] });
    const client = await RawClient.open(peer.port);
    await client.reply();
    expect(await transaction(client, ['nobody@example.test', 'bob@example.test'])).toEqual([
      250, 250, 550, 250,
    ]);
    expect((await client.command('DATA'))?.code).toBe(354);
    client.write('Subject: x\r\n\r\nbody\r\n.\r\n');
    expect((await client.reply())?.code).toBe(250);
    expect(peer.messages[0]?.recipients).toEqual(['bob@example.test']);
    client.destroy();
  });

  it.each([
    ['connect', 0],
    ['ehlo', 1],
    ['mail', 2],
    ['rcpt', 3],
    ['data-command', 4],
    ['data', 5],
  ] as const)('RFC 5321 §3.8 421 at %s, then the connection closes', async (stage, at) => {
    peer = await startSmtpPeer({ fail421At: stage });
    const client = await RawClient.open(peer.port);
    const replies: (number | undefined)[] = [(await client.reply())?.code];
    const steps = ['EHLO client.test', 'MAIL FROM:<a@sender.test>', 'RCPT TO:<b@example.test>', 'DATA'];
    for (const step of steps) {
      if (client.closed) break;
      replies.push((await client.command(step))?.code);
    }
    if (!client.closed && replies.at(-1) === 354) {
      client.write('Subject: x\r\n\r\nbody\r\n.\r\n');
      replies.push((await client.reply())?.code);
    }
    expect(replies[at]).toBe(421);
    expect(replies.slice(0, at).every((code) => code !== 421)).toBe(true);
    await client.closedPromise();
    expect(client.closed).toBe(true);
    if (stage === 'data') expect(peer.messages).toMatchObject([{ acknowledged: false }]);
  });

  it('scripted refusals at any stage; the connection stays open unless 421', async () => {
    peer = await startSmtpPeer([
      { replies: { connect: { code: 554, enhanced: '5.7.1', text: 'No service for you' } } },
      { replies: { rcpt: { code: 452, enhanced: '4.2.2', text: 'Mailbox full' } } },
      { replies: { data: { code: 554, enhanced: '5.6.0', text: 'Content rejected' } } },
    ]);
    const refused = await RawClient.open(peer.port);
    expect((await refused.reply())?.text).toBe('554 5.7.1 No service for you\r\n');
    await refused.closedPromise();

    const full = await RawClient.open(peer.port);
    await full.reply();
    expect(await transaction(full, ['a@example.test'])).toEqual([250, 250, 452]);
    expect((await full.command('NOOP'))?.code).toBe(250);
    full.destroy();

    const content = await RawClient.open(peer.port);
    await content.reply();
    await transaction(content, ['a@example.test']);
    await content.command('DATA');
    content.write('Subject: x\r\n\r\nbody\r\n.\r\n');
    expect((await content.reply())?.text).toBe('554 5.6.0 Content rejected\r\n');
    expect((await content.command('QUIT'))?.code).toBe(221);
    expect(peer.messages).toMatchObject([{ acknowledged: false }]);
  });

  it('drops the connection after the final dot without replying (the message was read)', async () => {
    peer = await startSmtpPeer({ dropAfterData: true });
    const client = await RawClient.open(peer.port);
    await client.reply();
    await transaction(client, ['bob@example.test']);
    expect((await client.command('DATA'))?.code).toBe(354);
    client.write('Subject: x\r\n\r\nbody\r\n.\r\n');
    expect(await client.reply()).toBeUndefined();
    expect(peer.messages).toMatchObject([{ recipients: ['bob@example.test'], acknowledged: false }]);
  });

  it('slow greeting: nothing for greetingDelay ms, then 220', async () => {
    peer = await startSmtpPeer({ greetingDelay: 300 });
    const started = performance.now();
    const client = await RawClient.open(peer.port);
    expect((await client.reply())?.code).toBe(220);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    client.destroy();
  });

  it('a script: connection n follows script[n], the last entry repeats', async () => {
    peer = await startSmtpPeer([{ fail421At: 'connect' }, {}]);
    for (const expected of [421, 220, 220]) {
      const client = await RawClient.open(peer.port);
      expect((await client.reply())?.code).toBe(expected);
      client.destroy();
    }
    expect(peer.connectionCount).toBe(3);
  });

  it('RFC 3207 STARTTLS with the test CA; the message is recorded as sent over TLS', async () => {
    const certificates = await createTestCertificates();
    peer = await startSmtpPeer({ tls: 'starttls' }, { certificates });
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: peer.port,
      secure: false,
      requireTLS: true,
      tls: { ca: certificates.ca.cert, servername: 'localhost' },
    });
    await transport.sendMail({ from: 'a@sender.test', to: 'b@example.test', text: 'over tls' });
    transport.close();
    const [message] = await peer.waitForMessages(1);
    expect(message?.tls).toBe(true);
    expect(peer.events.filter((e) => e.type === 'starttls')).toHaveLength(1);
  });

  it('TLS handshake failure: 220 to STARTTLS, then no TLS', async () => {
    peer = await startSmtpPeer({ tls: 'broken' });
    const client = await RawClient.open(peer.port);
    await client.reply();
    const ehlo = await client.command('EHLO client.test');
    expect(ehlo?.text).toContain('STARTTLS');
    const ready = await client.command('STARTTLS');
    expect(ready?.code).toBe(220);
    const socket = (client as unknown as { socket: Socket }).socket;
    socket.removeAllListeners('data');
    const tls = connectTls({ socket, ca: peer.certificates?.ca.cert, servername: 'localhost' });
    const [error] = (await once(tls, 'error').catch((e: unknown) => [e])) as [Error];
    expect(error).toBeInstanceOf(Error);
    expect(String((error as { code?: unknown }).code ?? error.message)).toMatch(/SSL|TLS|ECONNRESET|socket/i);
  });

  it('checks the script', async () => {
    await expect(startSmtpPeer([])).rejects.toBeInstanceOf(TypeError);
    await expect(startSmtpPeer({ greetingDelay: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(startSmtpPeer({ replies: { rcpt: { code: 250 } } })).rejects.toBeInstanceOf(RangeError);
  });
});

describe('startSmtpPeer: per-message drops, advertised extensions, BDAT, several addresses', () => {
  it('dropAfterData predicate: only the chosen message is dropped after its final dot', async () => {
    const seen: string[] = [];
    peer = await startSmtpPeer({
      dropAfterData: (m) => {
        seen.push(`${m.index}:${m.connection}:${m.sender}:${m.recipients.join(',')}`);
        return new TextDecoder().decode(m.body).includes('Subject: drop');
      },
    });
    const client = await RawClient.open(peer.port);
    await client.reply();
    expect(await transaction(client, ['bob@example.test'])).toEqual([250, 250, 250]);
    expect((await client.command('DATA'))?.code).toBe(354);
    client.write('Subject: keep\r\n\r\nbody\r\n.\r\n');
    expect((await client.reply())?.code).toBe(250);
    expect((await client.command('MAIL FROM:<alice@sender.test>'))?.code).toBe(250);
    expect((await client.command('RCPT TO:<carol@example.test>'))?.code).toBe(250);
    expect((await client.command('DATA'))?.code).toBe(354);
    client.write('Subject: drop\r\n\r\nbody\r\n.\r\n');
    expect(await client.reply()).toBeUndefined();
    expect(seen).toEqual([
      '0:0:alice@sender.test:bob@example.test',
      '1:0:alice@sender.test:carol@example.test',
    ]);
    expect(peer.messages.map((m) => m.acknowledged)).toEqual([true, false]);
  });

  it('dropAfterData predicate on index: every second message across connections', async () => {
    peer = await startSmtpPeer({ dropAfterData: (m) => m.index % 2 === 1 });
    const outcomes: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      const client = await RawClient.open(peer.port);
      await client.reply();
      await transaction(client, ['bob@example.test']);
      await client.command('DATA');
      client.write(`Subject: ${i}\r\n\r\nbody\r\n.\r\n`);
      outcomes.push((await client.reply())?.code);
      client.destroy();
    }
    expect(outcomes).toEqual([250, undefined, 250, undefined]);
    expect(peer.messages.map((m) => [m.connection, m.acknowledged])).toEqual([
      [0, true],
      [1, false],
      [2, true],
      [3, false],
    ]);
  });

  it('RFC 8689 §4: REQUIRETLS is advertised after STARTTLS by default, and left out on request', async () => {
    const certificates = await createTestCertificates();
    const ehloAfterTls = async (port: number) => {
      const client = await RawClient.open(port);
      await client.reply();
      expect((await client.command('EHLO client.test'))?.text).toContain('STARTTLS');
      expect((await client.command('STARTTLS'))?.code).toBe(220);
      const socket = (client as unknown as { socket: Socket }).socket;
      socket.removeAllListeners('data');
      socket.removeAllListeners('close');
      const tls = connectTls({ socket, ca: certificates.ca.cert, servername: 'localhost' });
      await once(tls, 'secureConnect');
      const secure = new RawClient(tls);
      const text = (await secure.command('EHLO client.test'))?.text ?? '';
      secure.destroy();
      return text;
    };
    peer = await startSmtpPeer({ tls: 'starttls' }, { certificates });
    expect(await ehloAfterTls(peer.port)).toContain('REQUIRETLS');
    await peer.close();
    peer = await startSmtpPeer({ tls: 'starttls', extensions: { requireTls: false } }, { certificates });
    const text = await ehloAfterTls(peer.port);
    expect(text).not.toContain('REQUIRETLS');
    expect(text).toContain('250');
  });

  it('RFC 5321 §2.2: extensions set to false are neither advertised nor accepted (BDAT → 502)', async () => {
    peer = await startSmtpPeer({ extensions: { chunking: false, dsn: false, pipelining: false } });
    const client = await RawClient.open(peer.port);
    await client.reply();
    const ehlo = (await client.command('EHLO client.test'))?.text ?? '';
    for (const name of ['CHUNKING', 'BINARYMIME', 'DSN', 'PIPELINING']) expect(ehlo).not.toContain(name);
    expect(ehlo).toContain('8BITMIME');
    expect((await client.command('MAIL FROM:<a@sender.test>'))?.code).toBe(250);
    expect((await client.command('RCPT TO:<b@example.test>'))?.code).toBe(250);
    client.write('BDAT 4 LAST\r\nab\r\n');
    expect((await client.reply())?.code).toBe(502);
    client.destroy();
  });

  it('RFC 3030 §2: fail421At data-command answers the first BDAT with 421 and closes', async () => {
    peer = await startSmtpPeer([{}, { fail421At: 'data-command' }]);
    for (const expected of [250, 421]) {
      const client = await RawClient.open(peer.port);
      await client.reply();
      const ehlo = await client.command('EHLO client.test');
      expect(ehlo?.text).toContain('CHUNKING');
      await client.command('MAIL FROM:<a@sender.test>');
      await client.command('RCPT TO:<b@example.test>');
      client.write('BDAT 16 LAST\r\nSubject: x\r\n\r\nhi');
      const reply = await client.reply();
      expect(reply?.code).toBe(expected);
      if (expected === 421) {
        expect(reply?.text).toMatch(/^421 4\.3\.2 /);
        await client.closedPromise();
        expect(client.closed).toBe(true);
      } else client.destroy();
    }
    expect(peer.messages).toHaveLength(1);
    expect(new TextDecoder().decode(peer.messages[0]?.body)).toBe('Subject: x\r\n\r\nhi');
  });

  it('several loopback addresses on one port, a behaviour per address (MX hosts told apart by address)', async () => {
    const hosts = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
    peer = await startSmtpPeer(
      ({ localAddress }) => (localAddress === '127.0.0.2' ? { fail421At: 'connect' } : {}),
      { hosts },
    );
    expect(peer.hosts).toEqual(hosts);
    expect(peer.host).toBe('127.0.0.1');
    const greetings: (number | undefined)[] = [];
    for (const host of hosts) {
      const client = await RawClient.open(peer.port, host);
      greetings.push((await client.reply())?.code);
      if (host === '127.0.0.3') {
        await transaction(client, ['bob@example.test']);
        await client.command('DATA');
        client.write('Subject: x\r\n\r\nbody\r\n.\r\n');
        expect((await client.reply())?.code).toBe(250);
      }
      client.destroy();
    }
    expect(greetings).toEqual([220, 421, 220]);
    expect(peer.messages).toMatchObject([{ localAddress: '127.0.0.3', connection: 2 }]);
    const connects = peer.events.filter((e) => e.type === 'connect').map((e) => e.localAddress);
    expect(connects).toEqual(hosts);
  });

  it('rejectRecipients function: a reply of its own per address; a bad code closes the connection', async () => {
    peer = await startSmtpPeer({
      rejectRecipients: (a) =>
        a.startsWith('nobody')
          ? { code: 550, enhanced: '5.1.1', text: 'No such user here' }
          : a.startsWith('full')
            ? { code: 452, text: 'Mailbox full' }
            : a.startsWith('bad')
              ? { code: 250 }
              : a.startsWith('unknown'),
    });
    const client = await RawClient.open(peer.port);
    await client.reply();
    await transaction(client, []);
    expect((await client.command('RCPT TO:<nobody@example.test>'))?.text).toBe(
      '550 5.1.1 No such user here\r\n',
    );
    expect((await client.command('RCPT TO:<full@example.test>'))?.text).toMatch(/^452 .*Mailbox full\r\n$/);
    expect((await client.command('RCPT TO:<unknown@example.test>'))?.text).toMatch(/^550 5\.1\.1 <unknown@/);
    expect((await client.command('RCPT TO:<bob@example.test>'))?.code).toBe(250);
    expect(await client.command('RCPT TO:<bad@example.test>')).toBeUndefined();
  });

  it('checks hosts and behaviours chosen by a function', async () => {
    await expect(startSmtpPeer({}, { hosts: [] })).rejects.toBeInstanceOf(TypeError);
    peer = await startSmtpPeer(() => ({ greetingDelay: -1 }));
    const client = await RawClient.open(peer.port);
    expect(await client.reply()).toBeUndefined();
  });
});
