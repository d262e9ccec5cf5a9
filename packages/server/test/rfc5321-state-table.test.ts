import { describe, expect, it } from 'vitest';
import { codes, Harness } from './support/harness';

type StateName = 'initial' | 'ready' | 'mail' | 'rcpt' | 'chunking';

const setups: Record<StateName, string> = {
  initial: '',
  ready: 'EHLO client.test\r\n',
  mail: 'EHLO client.test\r\nMAIL FROM:<a@example.org>\r\n',
  rcpt: 'EHLO client.test\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n',
  chunking: 'EHLO client.test\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nBDAT 3\r\nabc',
};

// Expected reply code for each command in each state (RFC 5321 §4.1.4, §4.3.2; RFC 3030 §2;
// RFC 3207 §4; RFC 4954 §4). 503 = wrong order (5.5.1).
const table: Record<string, Record<StateName, number>> = {
  'EHLO client.test': { initial: 250, ready: 250, mail: 250, rcpt: 250, chunking: 250 },
  'HELO client.test': { initial: 250, ready: 250, mail: 250, rcpt: 250, chunking: 250 },
  'MAIL FROM:<c@example.org>': { initial: 503, ready: 250, mail: 503, rcpt: 503, chunking: 503 },
  'RCPT TO:<d@example.org>': { initial: 503, ready: 503, mail: 250, rcpt: 250, chunking: 503 },
  DATA: { initial: 503, ready: 503, mail: 554, rcpt: 354, chunking: 503 },
  'BDAT 1 LAST\r\nx': { initial: 503, ready: 503, mail: 503, rcpt: 250, chunking: 250 },
  RSET: { initial: 250, ready: 250, mail: 250, rcpt: 250, chunking: 250 },
  NOOP: { initial: 250, ready: 250, mail: 250, rcpt: 250, chunking: 250 },
  'VRFY postmaster': { initial: 252, ready: 252, mail: 252, rcpt: 252, chunking: 252 },
  'EXPN list': { initial: 502, ready: 502, mail: 502, rcpt: 502, chunking: 502 },
  HELP: { initial: 214, ready: 214, mail: 214, rcpt: 214, chunking: 214 },
  STARTTLS: { initial: 503, ready: 220, mail: 503, rcpt: 503, chunking: 503 },
  'AUTH PLAIN': { initial: 503, ready: 334, mail: 503, rcpt: 503, chunking: 503 },
  QUIT: { initial: 221, ready: 221, mail: 221, rcpt: 221, chunking: 221 },
  'LHLO client.test': { initial: 500, ready: 500, mail: 500, rcpt: 500, chunking: 500 },
  'FROB nicate': { initial: 500, ready: 500, mail: 500, rcpt: 500, chunking: 500 },
};

function inState(state: StateName): Harness {
  const h = new Harness({ tlsAvailable: true, authMechanisms: ['PLAIN'], allowInsecureAuth: true });
  h.start();
  if (setups[state]) h.send(setups[state]);
  expect(h.session.state).toBe(state);
  return h;
}

describe('RFC 5321 §4.1.4 / §4.3.2: every command in every state', () => {
  for (const [command, expected] of Object.entries(table)) {
    for (const state of Object.keys(expected) as StateName[]) {
      it(`${command.split('\r\n')[0]} in ${state} → ${expected[state]}`, () => {
        const h = inState(state);
        const out = h.send(`${command}\r\n`);
        expect(codes(out)[0]).toBe(expected[state]);
        if (expected[state] === 503) expect(out).toMatch(/^503 5\.5\.1 /);
      });
    }
  }
});

describe('transcripts', () => {
  it('RFC 5321 Appendix D.1: a typical transaction, byte for byte', () => {
    const h = new Harness({}, () => undefined);
    expect(h.start()).toBe('220 mx.test ESMTP\r\n');
    expect(h.send('EHLO bar.com\r\n')).toBe(
      [
        '250-mx.test',
        '250-PIPELINING',
        '250-SIZE 26214400',
        '250-8BITMIME',
        '250-SMTPUTF8',
        '250-ENHANCEDSTATUSCODES',
        '250-CHUNKING',
        '250-BINARYMIME',
        '250 DSN',
        '',
      ].join('\r\n'),
    );
    expect(h.send('MAIL FROM:<Smith@bar.com>\r\n')).toBe('250 2.1.0 Ok\r\n');
    expect(h.send('RCPT TO:<Jones@foo.com>\r\n')).toBe('250 2.1.5 Ok\r\n');
    expect(h.send('RCPT TO:<Green@foo.com>\r\n')).toBe('250 2.1.5 Ok\r\n');
    expect(h.send('DATA\r\n')).toBe('354 End data with <CR><LF>.<CR><LF>\r\n');
    expect(h.send('Blah blah blah...\r\n..dotted\r\n')).toBe('');
    expect(h.send('.\r\n')).toBe('250 2.0.0 Ok: queued\r\n');
    expect(h.bodyText()).toBe('Blah blah blah...\r\n.dotted\r\n');
    expect(h.send('QUIT\r\n')).toBe('221 2.0.0 mx.test Bye\r\n');
    expect(h.closed).toBe(true);
  });

  it('RFC 2920 §3: a pipelined transaction in one packet gets every reply, in order', () => {
    const h = new Harness();
    h.start();
    const out = h.send(
      'EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\nHi\r\n.\r\nQUIT\r\n',
    );
    expect(codes(out)).toEqual([250, 250, 250, 250, 354, 250, 221]);
    expect(h.bodyText()).toBe('Hi\r\n');
  });

  it('RFC 3030 §2: BDAT chunks are taken by count, never read as commands', () => {
    const h = new Harness();
    h.start();
    h.send('EHLO c\r\nMAIL FROM:<a@example.org> BODY=BINARYMIME\r\nRCPT TO:<b@example.org>\r\n');
    expect(h.send('BDAT 12\r\nRSET\r\nQUIT\r\n')).toBe('250 2.0.0 12 octets received\r\n');
    expect(h.send('BDAT 3 LAST\r\n\x00\xff\n')).toBe('250 2.0.0 Ok: queued\r\n');
    expect(h.bodyText()).toBe('RSET\r\nQUIT\r\n\x00\xff\n');
    expect(h.closed).toBe(false);
  });

  it('RFC 3030 §3: DATA with BODY=BINARYMIME is refused', () => {
    const h = new Harness();
    h.start();
    h.send('EHLO c\r\nMAIL FROM:<a@example.org> BODY=BINARYMIME\r\nRCPT TO:<b@example.org>\r\n');
    expect(h.send('DATA\r\n')).toMatch(/^503 5\.5\.1 /);
  });

  it('RFC 2033 §4.2: LMTP answers once per recipient after the data', () => {
    const h = new Harness({ lmtp: true }, (call) => {
      if (call.kind === 'data-end') {
        return [undefined, { name: 'SmtpReplyError' }];
      }
      return undefined;
    });
    expect(h.start()).toBe('220 mx.test LMTP\r\n');
    expect(codes(h.send('EHLO c\r\n'))).toEqual([500]);
    h.send('LHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\n');
    expect(h.send('DATA\r\nhello\r\n.\r\n')).toBe(
      '354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued\r\n451 4.3.0 Local error in processing\r\n',
    );
  });

  it('HELO gets a plain 250 and no ESMTP parameters', () => {
    const h = new Harness();
    h.start();
    expect(h.send('HELO c\r\n')).toBe('250 mx.test\r\n');
    expect(h.send('MAIL FROM:<a@example.org> SIZE=10\r\n')).toMatch(/^555 5\.5\.4 /);
  });

  it('ENHANCEDSTATUSCODES off drops enhanced codes everywhere', () => {
    const h = new Harness({ extensions: { enhancedStatusCodes: false } });
    h.start();
    const out = h.send('EHLO c\r\nMAIL FROM:<a@example.org>\r\nDATA\r\n');
    expect(out).not.toContain('ENHANCEDSTATUSCODES');
    expect(out).toContain('250 Ok\r\n');
    expect(out).toContain('554 Error: no valid recipients\r\n');
  });

  it('extensions can be switched off (not advertised, parameters refused)', () => {
    const h = new Harness({
      extensions: {
        pipelining: false,
        size: false,
        chunking: false,
        dsn: false,
        smtpUtf8: false,
        eightBitMime: false,
      },
    });
    h.start();
    const ehlo = h.send('EHLO c\r\n');
    for (const word of ['PIPELINING', 'SIZE', 'CHUNKING', 'BINARYMIME', 'DSN', 'SMTPUTF8', '8BITMIME']) {
      expect(ehlo).not.toContain(word);
    }
    expect(h.send('MAIL FROM:<a@example.org> SIZE=1\r\n')).toMatch(/^555 /);
    expect(h.send('MAIL FROM:<a@example.org> BODY=8BITMIME\r\n')).toMatch(/^555 /);
    expect(h.send('MAIL FROM:<a@example.org> RET=HDRS\r\n')).toMatch(/^555 /);
    expect(h.send('MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org> NOTIFY=NEVER\r\n')).toMatch(/555 /);
    // BDAT when CHUNKING is off: the octets are still swallowed, never executed.
    expect(h.send('RCPT TO:<b@example.org>\r\nBDAT 6\r\nQUIT\r\n')).toBe(
      '250 2.1.5 Ok\r\n502 5.5.1 Error: command not implemented\r\n',
    );
    expect(h.closed).toBe(false);
  });

  it('RFC 1870: SIZE over the limit is refused at MAIL (552 5.3.4)', () => {
    const h = new Harness({ limits: { maxMessageSize: 100 } });
    h.start();
    expect(h.send('EHLO c\r\n')).toContain('250-SIZE 100\r\n');
    expect(h.send('MAIL FROM:<a@example.org> SIZE=101\r\n')).toBe(
      '552 5.3.4 Message size exceeds fixed maximum message size\r\n',
    );
  });

  it('DSN and other MAIL/RCPT parameters reach the backend typed', () => {
    const h = new Harness();
    h.start();
    h.send('EHLO c\r\nMAIL FROM:<a@example.org> RET=HDRS ENVID=QQ314159 BODY=8BITMIME\r\n');
    h.send('RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.org\r\n');
    const [mail, rcpt] = h.calls;
    expect(mail).toMatchObject({
      kind: 'mail',
      params: { ret: 'HDRS', envid: 'QQ314159', body: '8BITMIME' },
    });
    expect(rcpt).toMatchObject({
      kind: 'rcpt',
      params: { notify: ['SUCCESS', 'FAILURE'], orcpt: { addrType: 'rfc822', address: 'b@example.org' } },
    });
  });

  it('RFC 8689: REQUIRETLS is advertised and accepted only on TLS', () => {
    const plain = new Harness();
    plain.start();
    expect(plain.send('EHLO c\r\n')).not.toContain('REQUIRETLS');
    expect(plain.send('MAIL FROM:<a@example.org> REQUIRETLS\r\n')).toMatch(/^530 5\.7\.10 /);
    const secure = new Harness({ secure: true });
    secure.start();
    expect(secure.send('EHLO c\r\n')).toContain('250 REQUIRETLS\r\n');
    expect(secure.send('MAIL FROM:<a@example.org> REQUIRETLS\r\n')).toBe('250 2.1.0 Ok\r\n');
  });

  it('RFC 6531 §3.4: a UTF-8 address without SMTPUTF8 is refused; with it, accepted', () => {
    const h = new Harness();
    h.start();
    h.send('EHLO c\r\n');
    expect(h.send(Buffer.from('MAIL FROM:<josé@example.org>\r\n', 'utf8'))).toMatch(/^553 5\.6\.7 /);
    expect(h.send(Buffer.from('MAIL FROM:<josé@example.org> SMTPUTF8\r\n', 'utf8'))).toBe('250 2.1.0 Ok\r\n');
  });

  it('§4.5.3.1.8: recipients over the limit get 452 4.5.3', () => {
    const h = new Harness({ limits: { maxRecipients: 2 } });
    h.start();
    const out = h.send(
      'EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nRCPT TO:<d@example.org>\r\n',
    );
    expect(out.endsWith('452 4.5.3 Error: too many recipients\r\n')).toBe(true);
  });

  it('bad commands past the limit end the session with 421', () => {
    const h = new Harness({ limits: { maxBadCommands: 3 } });
    h.start();
    const out = h.send('FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n');
    expect(codes(out)).toEqual([500, 500, 500, 421]);
    expect(h.closed).toBe(true);
  });

  it('§4.5.3.1.4: an overlong command line gets 500 5.5.2 and the session goes on', () => {
    const h = new Harness();
    h.start();
    const out = h.send(`NOOP ${'x'.repeat(2000)}\r\nNOOP\r\n`);
    expect(out).toMatch(/^500 5\.5\.2 /);
    expect(codes(out)).toEqual([500, 250]);
    expect(h.session.bufferedBytes).toBeLessThan(600);
  });

  it('a backend that throws a non-SMTP error gives 451 4.3.0, an SmtpReplyError its own reply', async () => {
    const { SmtpReplyError } = await import('@smtpkit/wire');
    const h = new Harness({}, (call) => {
      if (call.kind === 'mail') throw new Error('database down');
      if (call.kind === 'rcpt')
        throw new SmtpReplyError({ code: 550, enhanced: '5.1.1', lines: ['No such user'] });
      return undefined;
    });
    h.start();
    h.send('EHLO c\r\n');
    expect(h.send('MAIL FROM:<a@example.org>\r\n')).toBe('451 4.3.0 Local error in processing\r\n');
  });

  it('the 250 after the dot waits for the backend; a data() failure is 451, never 5xx', () => {
    const h = new Harness({}, (call) => {
      if (call.kind === 'data-end') throw new TypeError('disk full');
      return undefined;
    });
    h.start();
    h.send('EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n');
    expect(h.send('x\r\n.\r\n')).toBe('451 4.3.0 Local error in processing\r\n');
    expect(h.session.state).toBe('ready');
  });

  it('a backend SmtpReplyError from rcpt is sent as is', async () => {
    const { SmtpReplyError } = await import('@smtpkit/wire');
    const h = new Harness({}, (call) => {
      if (call.kind === 'rcpt')
        throw new SmtpReplyError({ code: 550, enhanced: '5.1.1', lines: ['No such user'] });
      return undefined;
    });
    h.start();
    expect(h.send('EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n')).toContain(
      '550 5.1.1 No such user\r\n',
    );
  });

  it('RSET and EHLO abandon the transaction and tell the backend', () => {
    const h = new Harness();
    h.start();
    h.send('EHLO c\r\nMAIL FROM:<a@example.org>\r\nRSET\r\n');
    expect(h.calls.map((c) => c.kind)).toEqual(['mail', 'reset']);
    expect(h.session.state).toBe('ready');
    h.send('MAIL FROM:<a@example.org>\r\nEHLO c\r\n');
    expect(h.calls.map((c) => c.kind)).toEqual(['mail', 'reset', 'mail', 'reset']);
  });

  it('junk commands (NOOP floods) are limited', () => {
    const h = new Harness({ limits: { maxJunkCommands: 5 } });
    h.start();
    const out = h.send('NOOP\r\n'.repeat(6));
    expect(codes(out)).toEqual([250, 250, 250, 250, 250, 421]);
  });

  it('RFC 3030 §2: RSET between BDAT chunks drops the message (the backend stream fails) and resets', () => {
    const h = new Harness();
    h.start();
    h.send('EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n');
    expect(h.send('BDAT 4\r\nabcd')).toBe('250 2.0.0 4 octets received\r\n');
    expect(h.send('RSET\r\n')).toBe('250 2.0.0 Ok\r\n');
    const kinds = h.calls.map((c) => c.kind);
    expect(kinds.slice(-2)).toEqual(['data-end', 'reset']);
    expect(h.calls.at(-2)).toMatchObject({ kind: 'data-end', refusal: { code: 451 } });
    expect(h.session.state).toBe('ready');
  });

  it('RFC 3030 §2: a BDAT chunk over the size limit is refused after it is read, and ends the transaction', () => {
    const h = new Harness({ limits: { maxMessageSize: 10 } });
    h.start();
    h.send('EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n');
    expect(h.send('BDAT 8\r\n12345678')).toBe('250 2.0.0 8 octets received\r\n');
    expect(h.send('BDAT 8 LAST\r\nRSET\r\nXY')).toBe(
      '552 5.3.4 Message size exceeds fixed maximum message size\r\n',
    );
    expect(h.session.state).toBe('ready');
    expect(h.send('BDAT 1 LAST\r\nx')).toMatch(/^503 5\.5\.1 /);
    expect(h.send('NOOP\r\n')).toBe('250 2.0.0 Ok\r\n');
  });

  it('LMTP with BDAT: one reply per recipient after the LAST chunk', () => {
    const h = new Harness({ lmtp: true });
    h.start();
    h.send('LHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\n');
    expect(codes(h.send('BDAT 2 LAST\r\nhi'))).toEqual([250, 250]);
  });

  it('RFC 5321 §4.1.1.4: the 250 after the dot is not sent before the backend settles', () => {
    let ack: (() => void) | undefined;
    const session = new Harness().session;
    session.start();
    session.receive(
      Buffer.from('EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nx\r\n.\r\n'),
    );
    const sent: string[] = [];
    for (let a = session.nextAction(); a; a = session.nextAction()) {
      if (a.type === 'send') sent.push(Buffer.from(a.bytes).toString());
      if (a.type === 'call' && a.call.kind !== 'data-end') session.resolveCall();
      if (a.type === 'call' && a.call.kind === 'data-end') ack = () => session.resolveCall();
    }
    expect(sent.at(-1)).toMatch(/^354 /);
    ack!();
    const last = session.nextAction();
    expect(last?.type === 'send' && Buffer.from(last.bytes).toString()).toBe('250 2.0.0 Ok: queued\r\n');
  });
});
