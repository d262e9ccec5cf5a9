/**
 * Child process for the client memory test: streams a generated body of `SIZE_MIB` MiB to
 * an SMTP server on `PORT` and prints {baseline, peak, growth} RSS in bytes as JSON. Run in
 * its own process so the test runner's heap does not blur the numbers.
 */
import { connect } from '@smtpkit/client';

const port = Number(process.argv[2]);
const sizeMiB = Number(process.argv[3] ?? 512);
const chunkSize = 64 * 1024;

// One 64 KiB chunk of 78-character lines, yielded again and again: the generator itself
// holds nothing, so any growth is the client's.
const line = 'The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrstu\r\n';
const chunk = new Uint8Array(chunkSize);
for (let i = 0; i < chunkSize; i++) chunk[i] = line.charCodeAt(i % line.length);

async function* body(): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode('From: a@example.com\r\nSubject: big\r\n\r\n');
  const chunks = (sizeMiB * 1024 * 1024) / chunkSize;
  for (let i = 0; i < chunks; i++) yield chunk;
}

const client = await connect({ host: '127.0.0.1', port, security: 'none', name: 'client.test' });
global.gc?.();
const baseline = process.memoryUsage.rss();
let peak = baseline;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 10);
const started = performance.now();
const result = await client.sendMail({ from: 'a@example.com', to: ['b@example.org'] }, body());
const seconds = (performance.now() - started) / 1000;
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage.rss());
await client.quit();
process.stdout.write(
  `${JSON.stringify({ baseline, peak, growth: peak - baseline, seconds, accepted: result.accepted, method: result.method })}\n`,
);
