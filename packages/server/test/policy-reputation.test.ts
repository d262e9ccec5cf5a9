// Client reputation at connect/HELO: FCrDNS (RFC 8601 §3 iprev, RFC 7372 §3.3 X.7.25) and
// DNS blocklists (RFC 5782) with per-zone actions, wired to @smtpkit/dns's real helpers.
import {
  checkDnsbl,
  createStaticResolver,
  type Resolver,
  reverseName,
  verifyReverseDns,
  type Zone,
} from '@smtpkit/dns';
import { type ClientReputationOptions, createClientReputation } from '@smtpkit/server/policy';
import { formatReply } from '@smtpkit/wire';
import { describe, expect, it } from 'vitest';

const zone: Zone = {
  [reverseName('192.0.2.5')]: { ptr: ['mail.example.com'] },
  'mail.example.com': { a: ['192.0.2.5'] },
  [reverseName('192.0.2.6')]: { ptr: ['liar.example.com'] },
  'liar.example.com': { a: ['192.0.2.99'] },
  [reverseName('192.0.2.8')]: { fault: 'servfail' },
  '5.2.0.192.block.test': { a: ['127.0.0.2'], txt: ['Blocked, see https://block.test/?ip=192.0.2.5\r\n'] },
  '5.2.0.192.grey.test': { a: ['127.0.0.3'] },
  '5.2.0.192.tag.test': { a: ['127.0.0.4'] },
  '6.2.0.192.refused.test': { a: ['127.255.255.254'] },
  '7.2.0.192.down.test': { fault: 'servfail' },
};
const resolver: Resolver = createStaticResolver(zone);
const wiring = {
  verifyReverseDns: (ip: string, signal?: AbortSignal) =>
    verifyReverseDns(ip, { resolver, ...(signal ? { signal } : {}) }),
  checkDnsbl: (ip: string, zones: readonly string[], signal?: AbortSignal) =>
    checkDnsbl(ip, zones, { resolver, ...(signal ? { signal } : {}) }),
} satisfies ClientReputationOptions;
const wire = (e: { reply: Parameters<typeof formatReply>[0] } | undefined) =>
  e ? new TextDecoder().decode(formatReply(e.reply)) : undefined;

describe('FCrDNS', () => {
  it('confirmed: accept, iprev=pass, HELO compared with the confirmed names', async () => {
    const reputation = createClientReputation({ ...wiring, fcrdns: 'required' });
    const v = await reputation.check({ clientAddress: '192.0.2.5', helo: 'MAIL.example.com.' });
    expect(v).toMatchObject({ action: 'accept', score: 0, heloMatchesPtr: true });
    expect(v.error).toBeUndefined();
    expect(v.authenticationResults).toBe('iprev=pass policy.iprev=192.0.2.5 (mail.example.com)');
    const other = await reputation.check({ clientAddress: '192.0.2.5', helo: 'localhost' });
    expect(other.heloMatchesPtr).toBe(false);
  });

  it('RFC 7372 §3.3: required → 550 5.7.25 for no PTR / unconfirmed, 450 4.7.25 when DNS fails', async () => {
    const reputation = createClientReputation({ ...wiring, fcrdns: 'required' });
    const none = await reputation.check({ clientAddress: '192.0.2.200' });
    expect(none.action).toBe('reject');
    expect(wire(none.error)).toBe(
      '550 5.7.25 Reverse DNS validation failed for [192.0.2.200]: no PTR record for 192.0.2.200\r\n',
    );
    expect(none.authenticationResults).toBe('iprev=permerror policy.iprev=192.0.2.200');
    const liar = await reputation.check({ clientAddress: '192.0.2.6' });
    expect(liar.action).toBe('reject');
    expect(liar.error?.enhanced).toBe('5.7.25');
    expect(liar.authenticationResults).toBe('iprev=fail policy.iprev=192.0.2.6 (liar.example.com)');
    const temp = await reputation.check({ clientAddress: '192.0.2.8' });
    expect(temp.action).toBe('defer');
    expect(wire(temp.error)).toBe(
      '450 4.7.25 Reverse DNS validation failed temporarily for [192.0.2.8], try again later\r\n',
    );
    expect(temp.authenticationResults).toBe('iprev=temperror policy.iprev=192.0.2.8');
  });

  it('RFC 8601 §2.2: an IPv6 address is a quoted-string in the note', async () => {
    const v6 = createStaticResolver({
      [reverseName('2001:db8::5')]: { ptr: ['v6.example.com'] },
      'v6.example.com': { aaaa: ['2001:db8::5'] },
    });
    const reputation = createClientReputation({
      verifyReverseDns: (ip) => verifyReverseDns(ip, { resolver: v6 }),
    });
    const v = await reputation.check({ clientAddress: '2001:db8::5' });
    expect(v.authenticationResults).toBe('iprev=pass policy.iprev="2001:db8::5" (v6.example.com)');
  });

  it('scored: a failure is accepted, tagged and scored; a DNS failure only annotates', async () => {
    const reputation = createClientReputation({ ...wiring, fcrdnsScore: 5 });
    expect(await reputation.check({ clientAddress: '192.0.2.6' })).toMatchObject({ action: 'tag', score: 5 });
    const temp = await reputation.check({ clientAddress: '192.0.2.8' });
    expect(temp).toMatchObject({ action: 'accept', score: 0 });
    expect(temp.error).toBeUndefined();
  });
});

describe('DNSBL zones with per-zone action', () => {
  const reputation = createClientReputation({
    ...wiring,
    zones: [
      { zone: 'block.test', action: 'reject' },
      { zone: 'grey.test', action: 'greylist' },
      { zone: 'tag.test', action: 'tag', score: 2 },
      { zone: 'refused.test', action: 'reject' },
      { zone: 'down.test', action: 'reject' },
    ],
  });

  it('reject zone: 550 5.7.1 ... listed at <zone>: <TXT> (TXT made printable)', async () => {
    const v = await reputation.check({ clientAddress: '192.0.2.5' });
    expect(v.action).toBe('reject');
    expect(wire(v.error)).toBe(
      '550 5.7.1 Client host [192.0.2.5] listed at block.test: Blocked, see https://block.test/?ip=192.0.2.5\r\n',
    );
    expect(v.score).toBe(3); // the greylist (1) and tag (2) zones still count
    expect(v.authenticationResults).toBe(
      'iprev=pass policy.iprev=192.0.2.5 (mail.example.com); ' +
        'x-dnsbl=fail dns.zone=block.test policy.ip=127.0.0.2 policy.txt="Blocked, see https://block.test/?ip=192.0.2.5"; ' +
        'x-dnsbl=fail dns.zone=grey.test policy.ip=127.0.0.3; ' +
        'x-dnsbl=fail dns.zone=tag.test policy.ip=127.0.0.4; ' +
        'x-dnsbl=pass dns.zone=refused.test; x-dnsbl=pass dns.zone=down.test',
    );
  });

  it('greylist and tag zones never reject', async () => {
    const only = createClientReputation({
      ...wiring,
      zones: [
        { zone: 'grey.test', action: 'greylist' },
        { zone: 'tag.test', action: 'tag' },
      ],
    });
    const v = await only.check({ clientAddress: '192.0.2.5' });
    expect(v).toMatchObject({ action: 'greylist', score: 2 });
    expect(v.error).toBeUndefined();
  });

  it('a refused-query code (127.255.255.x) or a DNS failure at a reject zone is never a rejection', async () => {
    for (const clientAddress of ['192.0.2.6', '192.0.2.7']) {
      const v = await reputation.check({ clientAddress });
      expect(v.error?.enhanced).not.toBe('5.7.1');
      expect(v.dnsbl.some((f) => f.status === 'listed')).toBe(false);
      expect(v.authenticationResults).toMatch(/x-dnsbl=temperror dns\.zone=(refused|down)\.test/);
    }
  });

  it('caller bugs throw TypeError', () => {
    expect(() => createClientReputation({ zones: [{ zone: 'x.test', action: 'reject' }] })).toThrow(
      TypeError,
    );
    expect(() => createClientReputation({ fcrdns: 'required' })).toThrow(TypeError);
  });

  it('an aborted check rejects with the reason', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(reputation.check({ clientAddress: '192.0.2.5' }, controller.signal)).rejects.toThrow('gone');
  });
});
