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
  static async open(port: number): Promise<RawClient> {
    const socket = connectTcp(port, '127.0.0.1');
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
