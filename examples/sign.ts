// sign: DKIM-signs a message file (RFC 6376, RFC 8463) and prints the DNS record to publish.
//
//   openssl genpkey -algorithm ed25519 -out dkim.pem          (or RSA: -algorithm RSA -pkeyopt rsa_keygen_bits:2048)
//   npx tsx examples/sign.ts --key dkim.pem --print-record --domain example.com --selector s1
//   npx tsx examples/sign.ts --key dkim.pem --domain example.com --selector s1 message.eml > signed.eml
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createDkimSigner, formatKeyRecord } from '@smtpkit/dkim';
import { parseCli, required, usageError } from './lib/cli';

const usage = `usage: sign --key FILE --domain DOMAIN --selector NAME [FILE | -]
       sign --key FILE --print-record [--domain DOMAIN --selector NAME]

  --key FILE        PEM private key (RSA >= 1024 bits, or Ed25519)
  --domain DOMAIN   the signing domain (d=)
  --selector NAME   the selector (s=): the key is published at NAME._domainkey.DOMAIN
  --print-record    print the TXT record to publish instead of signing
  FILE | -          the message (RFC 5322, CRLF or LF line ends); '-' or nothing reads stdin
  -h, --help        this text

Writes the signed message (DKIM-Signature on top) to stdout. Offline: no DNS needed.`;

const { values, positionals } = parseCli(usage, () =>
  parseArgs({
    allowPositionals: true,
    options: {
      key: { type: 'string' },
      domain: { type: 'string' },
      selector: { type: 'string' },
      'print-record': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }),
);
const keyPath = required(usage, 'key', values.key);
const privateKey = await readFile(keyPath, 'utf8').catch((error: Error) =>
  usageError(usage, `--key: ${error.message}`),
);

if (values['print-record']) {
  let record: string;
  try {
    record = formatKeyRecord(privateKey);
  } catch (error) {
    usageError(usage, `--key: ${(error as Error).message}`);
  }
  const name =
    values.domain && values.selector
      ? `${values.selector}._domainkey.${values.domain}.`
      : 'SELECTOR._domainkey.DOMAIN.';
  // TXT strings are at most 255 octets (RFC 1035 §3.3.14): split long RSA keys.
  const strings = record.match(/.{1,255}/g) ?? [];
  console.log(`${name} IN TXT ${strings.map((s) => `"${s}"`).join(' ')}`);
  process.exit(0);
}

const domain = required(usage, 'domain', values.domain);
const selector = required(usage, 'selector', values.selector);
if (positionals.length > 1) usageError(usage, 'one message at a time');
const file = positionals[0] ?? '-';

let signer: ReturnType<typeof createDkimSigner>;
try {
  signer = createDkimSigner({ domain, selector, privateKey });
} catch (error) {
  usageError(usage, (error as Error).message);
}

// A file is read twice (once to sign, once to output): constant memory. stdin can only be read
// once, so its chunks are kept until the signature is known.
const open = () => (file === '-' ? process.stdin : createReadStream(file)) as AsyncIterable<Uint8Array>;
const kept: Uint8Array[] = [];
try {
  for await (const chunk of open()) {
    signer.update(chunk);
    if (file === '-') kept.push(chunk);
  }
} catch (error) {
  usageError(usage, `${file}: ${(error as Error).message}`);
}
let fields: string;
try {
  fields = signer.final();
} catch (error) {
  usageError(usage, `${file}: ${(error as Error).message}`);
}
process.stdout.write(fields);
for await (const chunk of file === '-' ? kept : open()) process.stdout.write(chunk);
