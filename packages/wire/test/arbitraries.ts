// fast-check arbitraries shared by the property tests.
import fc from 'fast-check';
import type { Command, DsnNotify, MailParameters, RcptParameters } from '../src/index';
import { type Path, parsePath } from '../src/index';

const atext = fc.constantFrom(..."abcXYZ019!#$%&'*+-/=?^_`{|}~é中".split(''));
const qchar = fc.constantFrom(...'ab @."\\()<>,;:[] é'.split(''));
const localPartArb = fc.oneof(
  fc
    .array(fc.string({ unit: atext, minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 })
    .map((a) => a.join('.')),
  fc.string({ unit: qchar, maxLength: 20 }),
);
const labelArb = fc
  .string({ unit: fc.constantFrom(...'abcz09-'.split('')), minLength: 1, maxLength: 12 })
  .filter((l) => !l.startsWith('-') && !l.endsWith('-') && !/^..--/.test(l));
const domainArb = fc.oneof(
  fc.array(labelArb, { minLength: 1, maxLength: 4 }).map((l) => l.join('.')),
  fc.constantFrom('bücher.example', 'Example.ORG', '[192.0.2.7]', '[IPv6:2001:db8::7]', '[x-foo:bar]'),
);

/** A path built as text from parts, then parsed: the values the round trip property covers. */
export const pathArb: fc.Arbitrary<Path> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Path>({ kind: 'null' }) },
  { weight: 1, arbitrary: fc.constant<Path>({ kind: 'postmaster' }) },
  {
    weight: 8,
    arbitrary: fc.tuple(localPartArb, domainArb).map(([local, domain]) => {
      const quoted = `"${local.replace(/["\\]/g, '\\$&')}"`;
      return parsePath(`<${quoted}@${domain}>`);
    }),
  },
);

const wordArb = fc.string({
  unit: fc.constantFrom(...'abcXYZ019.-_[]:'.split('')),
  minLength: 1,
  maxLength: 12,
});
const textArb = fc
  .string({ unit: fc.constantFrom(...'ab Z9<>@.é'.split('')), minLength: 1, maxLength: 20 })
  .map((s) => s.trim())
  .filter((s) => s !== '');
const xtextValueArb = fc.string({
  unit: fc.constantFrom(...'ab+= \u00e9<>9'.split('')),
  minLength: 1,
  maxLength: 12,
});
const extensionArb = fc.record(
  {
    keyword: fc.constantFrom('X-FOO', 'XBAR', 'MT-PRIORITY', 'HOLDFOR'),
    value: fc.string({ unit: fc.constantFrom(...'ab9+-.<>:é'.split('')), minLength: 1, maxLength: 8 }),
  },
  { requiredKeys: ['keyword'] },
);
const extensionsArb = fc.uniqueArray(extensionArb, {
  minLength: 1,
  maxLength: 3,
  selector: (p) => p.keyword,
});
const mailboxPathArb = pathArb.filter((p) => p.kind === 'mailbox');

const mailParamsArb: fc.Arbitrary<MailParameters> = fc.record(
  {
    size: fc.nat({ max: 2 ** 40 }),
    body: fc.constantFrom('7BIT', '8BITMIME', 'BINARYMIME'),
    smtpUtf8: fc.constant(true),
    ret: fc.constantFrom('FULL', 'HDRS'),
    envid: xtextValueArb.filter((s) => s.length <= 30),
    auth: fc.oneof(fc.constant('<>'), xtextValueArb),
    requireTls: fc.constant(true),
    extensions: extensionsArb,
  },
  { requiredKeys: [] },
);
const rcptParamsArb: fc.Arbitrary<RcptParameters> = fc.record(
  {
    notify: fc.oneof(
      fc.constant<DsnNotify[]>(['NEVER']),
      fc.subarray<DsnNotify>(['SUCCESS', 'FAILURE', 'DELAY'], { minLength: 1 }),
    ),
    orcpt: fc.record({ addrType: fc.constantFrom('rfc822', 'utf-8'), address: xtextValueArb }),
    extensions: extensionsArb,
  },
  { requiredKeys: [] },
);

/** Every kind of command with valid fields. */
export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ verb: fc.constantFrom('EHLO', 'HELO', 'LHLO'), domain: wordArb }),
  fc.record({
    verb: fc.constant('MAIL'),
    reversePath: pathArb.filter((p) => p.kind !== 'postmaster'),
    params: mailParamsArb,
  }),
  fc.record({
    verb: fc.constant('RCPT'),
    forwardPath: pathArb.filter((p) => p.kind !== 'null'),
    params: rcptParamsArb,
  }),
  fc.record({ verb: fc.constant('RCPT'), forwardPath: mailboxPathArb, params: fc.constant({}) }),
  fc.record({ verb: fc.constant('BDAT'), size: fc.nat({ max: 1e12 }), last: fc.boolean() }),
  fc.record(
    {
      verb: fc.constant('AUTH'),
      mechanism: fc.constantFrom('PLAIN', 'LOGIN', 'XOAUTH2', 'SCRAM-SHA-256', 'CRAM-MD5'),
      initialResponse: fc.oneof(fc.constant('='), fc.base64String({ minLength: 4, maxLength: 40 })),
    },
    { requiredKeys: ['verb', 'mechanism'] },
  ),
  fc.record({ verb: fc.constantFrom('VRFY', 'EXPN'), argument: textArb }),
  fc.record({ verb: fc.constantFrom('HELP', 'NOOP'), argument: textArb }, { requiredKeys: ['verb'] }),
  fc.record({ verb: fc.constantFrom('DATA', 'RSET', 'QUIT', 'STARTTLS') }),
);
