/**
 * The Node client against a peer that answers with random bytes: every call settles, with a
 * result or an smtpkit error (never a TypeError, a hang or an unhandled rejection).
 */

import { isSmtpError } from '@smtpkit/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connect } from '../src/index';
import { scriptedServer } from './helpers/scripted-server';

const te = new TextEncoder();
const line = fc
  .tuple(
    fc.constantFrom('220', '250', '354', '421', '450', '550', '334', '221', '2', 'x'),
    fc.constantFrom(' ', '-', ''),
    fc.constantFrom('', 'ok', 'PIPELINING', 'CHUNKING', 'STARTTLS', 'AUTH PLAIN', '\u00e9'),
    fc.constantFrom('\r\n', '\n', ''),
  )
  .map((parts) => parts.join(''));

describe('Node client fuzz', () => {
  it('random server replies: sendMail settles with a result or an SmtpError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 20 }), fc.boolean(), async (lines, close) => {
        const srv = await scriptedServer(async (peer) => {
          await peer.send('220 fuzz.test ESMTP\r\n');
          for (const l of lines) await peer.send(l);
          if (close) peer.end();
          else await peer.closed();
        });
        try {
          const outcome = await (async () => {
            const client = await connect({
              host: '127.0.0.1',
              port: srv.port,
              security: 'none',
              name: 'client.test',
              timeouts: { command: 200, mail: 200, rcpt: 200, dataInit: 200, dataEnd: 200, quit: 200 },
            });
            try {
              return await client.sendMail(
                { from: 'a@example.com', to: ['b@example.org', 'c@example.org'] },
                te.encode('x\r\n'),
              );
            } finally {
              client.close();
            }
          })().catch((error: unknown) => error);
          if (outcome instanceof Error) expect(isSmtpError(outcome), String(outcome)).toBe(true);
        } finally {
          await srv.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
