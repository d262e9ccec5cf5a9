import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, type Recorder, startServer } from './support/net';

// Every SMTP-smuggling end-of-data variant (issue 2, SEC Consult 2023, Postfix's list): none
// may end the data, so the "smuggled" MAIL/RCPT/DATA after it is never executed.
const variants: Record<string, string> = {
  'LF.LF': '\n.\n',
  'LF.CRLF': '\n.\r\n',
  'CRLF.LF': '\r\n.\n',
  'CR.CR': '\r.\r',
  'CR.CRLF': '\r.\r\n',
  'CRLF.CR': '\r\n.\r',
  'CRLF.CRCRLF': '\r\n.\r\r\n',
  'CRLF NUL.CRLF': '\r\n\x00.\r\n',
  'LF.CR': '\n.\r',
};

const smuggled = 'MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nSmuggled\r\n';

describe.each(['reject', 'normalize'] as const)(
  'SMTP smuggling over a raw socket (bare line endings: %s)',
  (policy) => {
    let server: Awaited<ReturnType<typeof startServer>>['server'];
    let port: number;
    let recorder: Recorder;
    beforeAll(async () => {
      ({ server, port, recorder } = await startServer({ bareLineEndings: policy }));
    });
    afterAll(() => server.close({ deadline: 100 }));

    for (const [name, terminator] of Object.entries(variants)) {
      it(`${name} ends nothing; nothing is smuggled`, async () => {
        const before = { messages: recorder.messages.length, mails: recorder.mails.length };
        const c = await RawClient.connect(port);
        await c.reply();
        await c.command('EHLO client.test');
        expect(await c.command('MAIL FROM:<alice@example.org>')).toMatch(/^250/);
        expect(await c.command('RCPT TO:<bob@example.org>')).toMatch(/^250/);
        expect(await c.command('DATA')).toMatch(/^354/);
        c.write(`Subject: hi\r\n\r\nbody${terminator}${smuggled}`);
        c.write('\r\n.\r\n');
        const final = await c.reply();
        expect(await c.command('QUIT')).toMatch(/^221/);
        c.close();
        // Exactly one MAIL reached the backend: the smuggled one never ran.
        expect(recorder.mails.slice(before.mails)).toEqual(['<alice@example.org>']);
        const stored = recorder.messages.slice(before.messages);
        // Every variant but the NUL one has a bare CR or LF.
        const bare = name !== 'CRLF NUL.CRLF';
        if (policy === 'reject' && bare) {
          // Postfix smtpd_forbid_bare_newline: refused after the data, nothing delivered.
          expect(final).toMatch(/^550 5\.5\.2 /);
          expect(stored).toEqual([]);
        } else {
          expect(final).toMatch(/^250 /);
          expect(stored).toHaveLength(1);
          expect(stored[0]!.body).toContain('MAIL FROM:<evil@attacker.example>');
          expect(stored[0]!.to).toEqual(['<bob@example.org>']);
        }
      });
    }
  },
);
