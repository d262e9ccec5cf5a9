// RFC 5321 Appendix D: the four example scenarios, byte for byte. The client's lines are
// produced by formatCommand/DataEncoder and compared with the transcript; the transcript's
// client stream is decoded by CommandDecoder/DataDecoder (as a server would, in every split)
// and its server stream by ReplyDecoder.
import { describe, expect, it } from 'vitest';
import {
  type Command,
  CommandDecoder,
  DataDecoder,
  DataEncoder,
  formatCommand,
  formatReply,
  parseCommand,
  parseReply,
  type Reply,
  ReplyDecoder,
} from '../src/index';
import { allSplits, bin, latin1 } from './helpers';

const D1 = `S: 220 foo.com Simple Mail Transfer Service Ready
C: EHLO bar.com
S: 250-foo.com greets bar.com
S: 250-8BITMIME
S: 250-SIZE
S: 250-DSN
S: 250 HELP
C: MAIL FROM:<Smith@bar.com>
S: 250 OK
C: RCPT TO:<Jones@foo.com>
S: 250 OK
C: RCPT TO:<Green@foo.com>
S: 550 No such user here
C: RCPT TO:<Brown@foo.com>
S: 250 OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Blah blah blah...
C: ...etc. etc. etc.
C: .
S: 250 OK
C: QUIT
S: 221 foo.com Service closing transmission channel`;

const D2 = `S: 220 foo.com Simple Mail Transfer Service Ready
C: EHLO bar.com
S: 250-foo.com greets bar.com
S: 250-8BITMIME
S: 250-SIZE
S: 250-DSN
S: 250 HELP
C: MAIL FROM:<Smith@bar.com>
S: 250 OK
C: RCPT TO:<Jones@foo.com>
S: 250 OK
C: RCPT TO:<Green@foo.com>
S: 550 No such user here
C: RSET
S: 250 OK
C: QUIT
S: 221 foo.com Service closing transmission channel`;

const D3_1 = `S: 220 foo.com Simple Mail Transfer Service Ready
C: EHLO bar.com
S: 250-foo.com greets bar.com
S: 250-8BITMIME
S: 250-SIZE
S: 250-DSN
S: 250 HELP
C: MAIL FROM:<JQP@bar.com>
S: 250 OK
C: RCPT TO:<Jones@XYZ.COM>
S: 250 OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Date: Thu, 21 May 1998 05:33:29 -0700
C: From: John Q. Public <JQP@bar.com>
C: Subject: The Next Meeting of the Board
C: To: Jones@xyz.com
C:
C: Bill:
C: The next meeting of the board of directors will be
C: on Tuesday.
C: John.
C: .
S: 250 OK
C: QUIT
S: 221 foo.com Service closing transmission channel`;

const D3_2 = `S: 220 xyz.com Simple Mail Transfer Service Ready
C: EHLO foo.com
S: 250 xyz.com is on the air
C: MAIL FROM:<JQP@bar.com>
S: 250 OK
C: RCPT TO:<Jones@XYZ.COM>
S: 250 OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Received: from bar.com by foo.com ; Thu, 21 May 1998
C:     05:33:29 -0700
C: Date: Thu, 21 May 1998 05:33:22 -0700
C: From: John Q. Public <JQP@bar.com>
C: Subject:  The Next Meeting of the Board
C: To: Jones@xyz.com
C:
C: Bill:
C: The next meeting of the board of directors will be
C: on Tuesday.
C: John.
C: .
S: 250 OK
C: QUIT
S: 221 foo.com Service closing transmission channel`;

const D4 = `S: 220 foo.com Simple Mail Transfer Service Ready
C: EHLO bar.com
S: 250-foo.com greets bar.com
S: 250-8BITMIME
S: 250-SIZE
S: 250-DSN
S: 250-VRFY
S: 250 HELP
C: VRFY Crispin
S: 250 Mark Crispin <Admin.MRC@foo.com>
C: MAIL FROM:<EAK@bar.com>
S: 250 OK
C: RCPT TO:<Admin.MRC@foo.com>
S: 250 OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Blah blah blah...
C: ...etc. etc. etc.
C: .
S: 250 OK
C: QUIT
S: 221 foo.com Service closing transmission channel`;

interface Transcript {
  /** Client command lines, in order, with the message content in place of DATA's payload. */
  readonly client: ReadonlyArray<{ readonly command: string } | { readonly content: readonly string[] }>;
  /** Server reply texts (each possibly multiline, CRLF-joined), in order. */
  readonly replies: readonly string[];
  /** The exact client byte stream: command lines and the dot-stuffed data as the RFC defines it. */
  readonly clientWire: string;
  readonly serverWire: string;
}

function parseTranscript(text: string): Transcript {
  const client: Transcript['client'][number][] = [];
  const replies: string[] = [];
  let clientWire = '';
  let serverWire = '';
  let content: string[] | undefined;
  let reply: string[] = [];
  for (const raw of text.split('\n')) {
    const side = raw.slice(0, 2);
    const line = raw.slice(3);
    if (side === 'S:') {
      serverWire += `${line}\r\n`;
      reply.push(line);
      if (line.charAt(3) !== '-') {
        replies.push(reply.join('\r\n'));
        reply = [];
      }
      if (line.startsWith('354')) content = [];
    } else if (content !== undefined) {
      if (line === '.') {
        client.push({ content });
        content = undefined;
        clientWire += '.\r\n';
      } else {
        content.push(line);
        // RFC 5321 §4.5.2: a content line starting with "." goes out with one more ".".
        clientWire += `${line.startsWith('.') ? '.' : ''}${line}\r\n`;
      }
    } else {
      client.push({ command: line });
      clientWire += `${line}\r\n`;
    }
  }
  return { client, replies, clientWire, serverWire };
}

/** Decode a client stream as a server does: commands, then DATA payload after DATA, and back. */
function serverDecode(pieces: readonly Uint8Array[]): Array<Command | string> {
  const out: Array<Command | string> = [];
  const commands = new CommandDecoder();
  let data: DataDecoder | undefined;
  let content = '';
  const pump = () => {
    for (;;) {
      if (data) {
        const item = data.next();
        if (!item) return;
        if (item.type === 'data') content += latin1(item.data);
        else {
          expect(item.result.ok).toBe(true);
          out.push(content);
          content = '';
          const rest = data.takeBuffered();
          data = undefined;
          commands.feed(rest);
        }
      } else {
        const item = commands.next();
        if (!item) return;
        if (item.type !== 'command') throw new Error(`unexpected ${item.type}`);
        out.push(item.command);
        if (item.command.verb === 'DATA') {
          data = new DataDecoder();
          data.feed(commands.takeBuffered());
        }
      }
    }
  };
  for (const piece of pieces) {
    if (data) data.feed(piece);
    else commands.feed(piece);
    pump();
  }
  return out;
}

const scenarios: ReadonlyArray<readonly [string, string]> = [
  ['D.1 A Typical SMTP Transaction Scenario', D1],
  ['D.2 Aborted SMTP Transaction Scenario', D2],
  ['D.3 Relayed Mail Scenario, step 1 (source host to relay)', D3_1],
  ['D.3 Relayed Mail Scenario, step 2 (relay to destination)', D3_2],
  ['D.4 Verifying and Sending Scenario', D4],
];

describe('RFC 5321 Appendix D transcripts', () => {
  for (const [name, text] of scenarios) {
    const transcript = parseTranscript(text);

    it(`${name}: the client side encodes byte for byte`, () => {
      let wire = '';
      for (const step of transcript.client) {
        if ('command' in step) {
          wire += latin1(formatCommand(parseCommand(step.command)));
        } else {
          const encoder = new DataEncoder();
          wire += latin1(encoder.encode(bin(step.content.map((l) => `${l}\r\n`).join(''))));
          wire += latin1(encoder.end());
        }
      }
      expect(wire).toBe(transcript.clientWire);
    });

    it(`${name}: the server decodes the client stream in every split`, () => {
      const expected = transcript.client.map((step) =>
        'command' in step ? parseCommand(step.command) : step.content.map((l) => `${l}\r\n`).join(''),
      );
      for (const pieces of allSplits(bin(transcript.clientWire)))
        expect(serverDecode(pieces)).toEqual(expected);
    });

    it(`${name}: replies format and decode byte for byte`, () => {
      const replies = transcript.replies.map((r) => parseReply(r));
      expect(replies.map((r) => latin1(formatReply(r))).join('')).toBe(transcript.serverWire);
      for (const pieces of allSplits(bin(transcript.serverWire))) {
        const decoder = new ReplyDecoder();
        const got: Reply[] = [];
        for (const piece of pieces) {
          decoder.feed(piece);
          for (let reply = decoder.next(); reply; reply = decoder.next()) got.push(reply);
        }
        expect(got).toEqual(replies);
      }
    });
  }
});
