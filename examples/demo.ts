// What exists so far, end to end: @smtpkit/wire's codecs driving both ends of one SMTP session
// over a loopback TCP socket (127.0.0.1). Neither end is the smtpkit client or server (those are
// their own packages); this is only the wire layer: commands, pipelining, replies, EHLO
// capabilities, dot-stuffing, DATA end detection, and the refusal of an SMTP smuggling attempt.
// Prints the trace; exits 0 only if every check passed.
import { once } from 'node:events';
import net from 'node:net';
import {
  CommandDecoder,
  DataDecoder,
  encodeData,
  formatCommand,
  formatReply,
  parseEhlo,
  parsePath,
  type Reply,
  ReplyDecoder,
} from '@smtpkit/wire';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const show = (who: 'C' | 'S', bytes: Uint8Array) => {
  for (const line of text(bytes).split('\r\n').slice(0, -1)) console.log(`${who}: ${line}`);
};
const stored: string[] = [];
// A demo that hangs is a failed demo.
setTimeout(() => {
  console.error('demo timed out');
  process.exit(1);
}, 15_000).unref();

// The receiving end: CommandDecoder for commands, DataDecoder after 354, replies by formatReply.
const server = net.createServer((socket) => {
  const send = (reply: Reply) => socket.write(formatReply(reply));
  const commands = new CommandDecoder();
  let data: DataDecoder | undefined;
  let message = '';
  send({ code: 220, lines: ['demo.test ESMTP @smtpkit/wire demo'] });
  socket.on('data', (chunk: Buffer) => {
    if (data) data.feed(chunk);
    else commands.feed(chunk);
    for (;;) {
      if (data) {
        const item = data.next();
        if (!item) return;
        if (item.type === 'data') message += text(item.data);
        else {
          if (item.result.ok) stored.push(message);
          send(item.result.ok ? { code: 250, enhanced: '2.0.0', lines: ['Queued'] } : item.result.reply);
          commands.feed(data.takeBuffered());
          data = undefined;
          message = '';
        }
        continue;
      }
      const item = commands.next();
      if (!item) return;
      if (item.type === 'error') send(item.error.reply);
      else if (item.type !== 'command') continue;
      else if (item.command.verb === 'EHLO') {
        send({
          code: 250,
          lines: ['demo.test', 'PIPELINING', '8BITMIME', 'SIZE 10485760', 'ENHANCEDSTATUSCODES'],
        });
      } else if (item.command.verb === 'MAIL') send({ code: 250, enhanced: '2.1.0', lines: ['Sender OK'] });
      else if (item.command.verb === 'RCPT') send({ code: 250, enhanced: '2.1.5', lines: ['Recipient OK'] });
      else if (item.command.verb === 'DATA') {
        send({ code: 354, lines: ['End data with <CR><LF>.<CR><LF>'] });
        data = new DataDecoder(); // bare CR/LF policy 'reject' by default
        data.feed(commands.takeBuffered());
      } else if (item.command.verb === 'QUIT') {
        send({ code: 221, enhanced: '2.0.0', lines: ['Bye'] });
        socket.end();
      } else send({ code: 502, enhanced: '5.5.1', lines: ['Not in this demo'] });
    }
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as net.AddressInfo;

// The sending end: formatCommand / encodeData out, ReplyDecoder in.
const socket = net.connect(port, '127.0.0.1');
const replies = new ReplyDecoder();
const received: Reply[] = [];
socket.on('data', (chunk: Buffer) => {
  replies.feed(chunk);
  for (let reply = replies.next(); reply; reply = replies.next()) {
    show('S', formatReply(reply));
    received.push(reply);
  }
});
const nextReply = async (): Promise<Reply> => {
  while (received.length === 0) await once(socket, 'data');
  return received.shift()!;
};
const write = (bytes: Uint8Array, label?: string) => {
  if (label) console.log(`C: ${label}`);
  else show('C', bytes);
  socket.write(bytes);
};

const checks: Array<[string, boolean]> = [];
checks.push(['greeting 220', (await nextReply()).code === 220]);
write(formatCommand({ verb: 'EHLO', domain: 'client.test' }));
const caps = parseEhlo(await nextReply());
checks.push(['EHLO announces PIPELINING and SIZE', caps.pipelining && caps.size === 10485760]);

// RFC 2920: MAIL, two RCPTs and DATA in one write, the four replies read afterwards.
const body = 'Subject: wire demo\r\n\r\n.a line that starts with a dot\r\nbye\r\n';
write(
  new Uint8Array([
    ...formatCommand({
      verb: 'MAIL',
      reversePath: parsePath('<alice@client.test>'),
      params: { body: '8BITMIME' },
    }),
    ...formatCommand({ verb: 'RCPT', forwardPath: parsePath('<bob@demo.test>'), params: {} }),
    ...formatCommand({ verb: 'RCPT', forwardPath: parsePath('<"carol smith"@demo.test>'), params: {} }),
    ...formatCommand({ verb: 'DATA' }),
  ]),
);
const codes = [await nextReply(), await nextReply(), await nextReply(), await nextReply()].map((r) => r.code);
checks.push(['pipelined MAIL/RCPT/RCPT/DATA -> 250 250 250 354', codes.join() === '250,250,250,354']);
for await (const bytes of encodeData(new TextEncoder().encode(body))) write(bytes);
checks.push(['message accepted (250)', (await nextReply()).code === 250]);
checks.push(['server stored the message unchanged (dot unstuffed)', stored[0] === body]);

// An SMTP smuggling attempt: raw bytes (not from encodeData) hiding "\n.\n" and a second transaction.
write(formatCommand({ verb: 'MAIL', reversePath: parsePath('<mallory@client.test>'), params: {} }));
await nextReply();
write(formatCommand({ verb: 'RCPT', forwardPath: parsePath('<bob@demo.test>'), params: {} }));
await nextReply();
write(formatCommand({ verb: 'DATA' }));
await nextReply();
const attack = 'hi\n.\nMAIL FROM:<ceo@bank.test>\r\nRCPT TO:<bob@demo.test>\r\nDATA\r\nforged\r\n.\r\n';
write(
  new TextEncoder().encode(attack),
  `<${attack.length} raw octets hiding "\\n.\\n" and a second transaction>`,
);
const refusal = await nextReply();
checks.push([
  'smuggling attempt refused with 550 5.5.2, nothing stored',
  refusal.code === 550 && stored.length === 1,
]);

write(formatCommand({ verb: 'QUIT' }));
checks.push(['QUIT -> 221', (await nextReply()).code === 221]);
socket.end();
server.close();

console.log('');
for (const [name, ok] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}`);
const failed = checks.filter(([, ok]) => !ok).length;
console.log(failed === 0 ? '\nround trip checked out' : `\n${failed} check(s) failed`);
process.exitCode = failed === 0 ? 0 : 1;
