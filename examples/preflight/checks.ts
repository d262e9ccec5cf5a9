// Each check answers one question a receiving server asks about a sender, and says what to
// change when the answer is no. They only read DNS (and, for port 25, open one connection).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { formatKeyRecord, parseKeyRecord } from '@smtpkit/dkim';
import { checkDnsbl, normalizeName, resolveMx, verifyReverseDns } from '@smtpkit/dns';
import { checkHost, DEFAULT_LIMITS } from '@smtpkit/spf';
import { probeSmtp } from './port25';
import type { CheckResult, PreflightOptions, PreflightReport } from './types';

const txtOf = (records: readonly { strings: readonly string[] }[]) => records.map((r) => r.strings.join(''));
const lookup = (o: PreflightOptions) => (o.signal ? { signal: o.signal } : undefined);

/** RFC 5321 §5.1: the domain's MX (or, without one, its A/AAAA), so bounces and replies arrive. */
export async function checkMx(o: PreflightOptions): Promise<CheckResult> {
  const base = { id: 'mx', title: `MX of ${o.domain}` } as const;
  const mx = await o.resolver.mx(o.domain, lookup(o));
  if (mx.status === 'found') {
    const hosts = [...mx.records].sort((a, b) => a.priority - b.priority);
    if (hosts.length === 1 && hosts[0]?.exchange === '') {
      return {
        ...base,
        status: 'warn',
        summary: 'null MX (RFC 7505): the domain says it receives no mail',
        fix: 'Bounces and replies to this sender cannot be delivered; publish a real MX if it should receive mail.',
      };
    }
    return {
      ...base,
      status: 'pass',
      summary: hosts.map((h) => `${h.priority} ${h.exchange}`).join(', '),
    };
  }
  if (mx.status === 'nodata') {
    return {
      ...base,
      status: 'warn',
      summary: 'no MX record; mail for it goes to its A/AAAA (implicit MX)',
      fix: `Publish an MX record: ${o.domain}. IN MX 10 mail.${o.domain}.`,
    };
  }
  if (mx.status === 'nxdomain') {
    return {
      ...base,
      status: 'fail',
      summary: `${o.domain} does not exist in DNS`,
      fix: 'Receivers refuse MAIL FROM domains that do not resolve (Postfix reject_unknown_sender_domain).',
    };
  }
  return {
    ...base,
    status: 'warn',
    summary: `DNS failure: ${mx.message}`,
    fix: "Retry; check the domain's name servers.",
  };
}

/** RFC 7208: the domain's SPF record must authorise the sending IP, within 10 DNS lookups. */
export async function checkSpf(o: PreflightOptions): Promise<CheckResult> {
  const base = { id: 'spf', title: `SPF of ${o.domain} for ${o.ip}` } as const;
  const options = { resolver: o.resolver, ...(o.signal ? { signal: o.signal } : {}) };
  const sender = `postmaster@${o.domain}`;
  const r = await checkHost(
    { ip: o.ip, domain: o.domain, sender, ...(o.helo ? { helo: o.helo } : {}) },
    options,
  );
  // check_host() stops at the first match, so its count depends on the IP. Evaluating for an
  // address no record lists (0.0.0.0 / ::, RFC 6890 "this host") walks every term: the count
  // other senders of the domain meet.
  const worst = await checkHost(
    { ip: o.ip.includes(':') ? '::' : '0.0.0.0', domain: o.domain, sender },
    options,
  );
  const limit = DEFAULT_LIMITS.dnsTerms;
  const worstOver = worst.result === 'permerror' && worst.lookups.dns >= limit;
  const details = [
    ...(r.record ? [`record: ${r.record}`] : []),
    `DNS lookups used: ${r.lookups.dns}/${limit} (for an unlisted address: ${worstOver ? `over ${limit}` : `${worst.lookups.dns}/${limit}`})`,
    ...(r.mechanism ? [`matched: ${r.mechanism}`] : []),
    ...(r.problems ?? []),
  ];
  const add = `add "ip${o.ip.includes(':') ? '6' : '4'}:${o.ip}" before the "all" of ${o.domain}'s SPF record`;
  switch (r.result) {
    case 'pass':
      if (worstOver || worst.lookups.dns >= limit - 1) {
        return {
          ...base,
          status: 'warn',
          summary: worstOver
            ? `pass, but the record needs more than ${limit} DNS lookups for other addresses (permerror)`
            : `pass, but ${worst.lookups.dns} of ${limit} DNS lookups used`,
          details,
          fix: 'RFC 7208 §4.6.4 allows 10 DNS-querying terms: replace includes with ip4:/ip6: ranges.',
        };
      }
      return { ...base, status: 'pass', summary: `pass (${r.lookups.dns}/${limit} DNS lookups)`, details };
    case 'none':
      return {
        ...base,
        status: 'fail',
        summary: 'no SPF record',
        details,
        fix: `Publish TXT at ${o.domain}: "v=spf1 ip${o.ip.includes(':') ? '6' : '4'}:${o.ip} -all"`,
      };
    case 'permerror': {
      // RFC 7208 §4.6.4: 10 DNS-querying terms, 2 void lookups.
      const overLimit = (r.problems ?? []).find((p) =>
        /more than \d+ (DNS-querying terms|void lookups)/.test(p),
      );
      return {
        ...base,
        status: 'fail',
        summary: overLimit ? `permerror: ${overLimit}` : 'permerror: the record is broken',
        details,
        fix: overLimit
          ? 'RFC 7208 §4.6.4 allows 10 DNS-querying terms and 2 void lookups: flatten includes into ip4:/ip6: ranges and drop ones that do not resolve.'
          : 'Fix the record syntax (check each mechanism and include).',
      };
    }
    case 'temperror':
      return {
        ...base,
        status: 'warn',
        summary: 'temperror: DNS failed during evaluation',
        details,
        fix: 'Retry later.',
      };
    default:
      return {
        ...base,
        status: 'fail',
        summary: `${r.result}: ${o.ip} is not authorised`,
        details,
        fix: add,
      };
  }
}

function keyObjectOf(record: { keyType: 'rsa' | 'ed25519'; publicKey: Uint8Array }): KeyObject | undefined {
  const der = Buffer.from(record.publicKey);
  if (record.keyType === 'ed25519') {
    // RFC 8463 §4.2: p= is the raw 32-octet key; wrap it in its SPKI header to load it.
    if (der.length !== 32) return undefined;
    const prefix = Buffer.from('302a300506032b6570032100', 'hex');
    return createPublicKey({ key: Buffer.concat([prefix, der]), format: 'der', type: 'spki' });
  }
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      return createPublicKey({ key: der, format: 'der', type });
    } catch {
      // RFC 6376 §3.6.1 says SubjectPublicKeyInfo; some publish bare RSAPublicKey.
    }
  }
  return undefined;
}

/** The record to publish for the given private key, when it can be read. */
function publishHint(name: string, privateKey: string | undefined): string | undefined {
  if (!privateKey) return undefined;
  try {
    return `Publish TXT at ${name}: "${formatKeyRecord(privateKey)}"`;
  } catch {
    return undefined;
  }
}

/** RFC 6376 §3.6.1 / RFC 8301 / RFC 8463: the key record exists, parses, is strong, matches. */
export async function checkDkim(o: PreflightOptions): Promise<CheckResult> {
  if (!o.dkimSelector) {
    return {
      id: 'dkim',
      title: 'DKIM key',
      status: 'skip',
      summary: 'no --dkim-selector given',
      fix: 'Pass --dkim-selector (and --dkim-key) to check the key record.',
    };
  }
  const name = `${o.dkimSelector}._domainkey.${o.domain}`;
  const base = { id: 'dkim', title: `DKIM key ${name}` } as const;
  const txt = await o.resolver.txt(name, lookup(o));
  if (txt.status === 'tempfail')
    return { ...base, status: 'warn', summary: `DNS failure: ${txt.message}`, fix: 'Retry.' };
  const publish = publishHint(name, o.dkimPrivateKey);
  if (txt.status !== 'found') {
    return {
      ...base,
      status: 'fail',
      summary: 'no key record: receivers cannot verify your signatures',
      fix: publish ?? `Publish your public key at ${name} (formatKeyRecord from @smtpkit/dkim prints it).`,
    };
  }
  const texts = txtOf(txt.records);
  const parsed = texts.map(parseKeyRecord);
  const good = parsed.find((p) => p.ok);
  if (!good?.ok) {
    const why = parsed.map((p) => (p.ok ? '' : p.reason)).join('; ');
    return {
      ...base,
      status: 'fail',
      summary: `key record does not parse: ${why}`,
      details: texts,
      fix: publish ?? 'Republish the record.',
    };
  }
  const record = good.record;
  if (record.publicKey.length === 0) {
    return {
      ...base,
      status: 'fail',
      summary: 'key revoked (empty p=)',
      fix: publish ?? 'Publish the current key.',
    };
  }
  const key = keyObjectOf(record);
  if (!key)
    return {
      ...base,
      status: 'fail',
      summary: `p= is not a valid ${record.keyType} key`,
      fix: publish ?? 'Republish the key.',
    };
  const bits = key.asymmetricKeyDetails?.modulusLength;
  const strength = record.keyType === 'ed25519' ? 'Ed25519' : `RSA ${bits ?? '?'}-bit`;
  if (record.keyType === 'rsa' && (bits ?? 0) < 1024) {
    return {
      ...base,
      status: 'fail',
      summary: `${strength}: too weak (RFC 8301 §3.2: verifiers MUST NOT accept keys under 1024 bits)`,
      fix: 'Generate a 2048-bit RSA key (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048) and publish it.',
    };
  }
  const details = [`${strength}${record.testing ? ', t=y (testing)' : ''}`];
  if (o.dkimPrivateKey) {
    let mine: string;
    try {
      mine = formatKeyRecord(o.dkimPrivateKey);
    } catch (error) {
      return {
        ...base,
        status: 'fail',
        summary: `cannot read --dkim-key: ${(error as Error).message}`,
        details,
      };
    }
    const minePublic = parseKeyRecord(mine);
    const same =
      minePublic.ok && Buffer.from(minePublic.record.publicKey).equals(Buffer.from(record.publicKey));
    if (!same) {
      return {
        ...base,
        status: 'fail',
        summary: `${strength}, but it does not match the private key: signatures will fail`,
        details,
        fix: publish ?? '',
      };
    }
    return { ...base, status: 'pass', summary: `${strength}, matches the private key`, details };
  }
  if (record.keyType === 'rsa' && (bits ?? 0) < 2048) {
    return {
      ...base,
      status: 'warn',
      summary: `${strength}: accepted, but 2048 bits is the norm`,
      details,
      fix: 'Rotate to a 2048-bit key.',
    };
  }
  return { ...base, status: 'pass', summary: `${strength} (pass --dkim-key to check it matches)`, details };
}

/** RFC 8601 iprev / Postfix reject_unknown_client_hostname: PTR, forward-confirmed, = HELO. */
export async function checkReverseDns(o: PreflightOptions): Promise<CheckResult> {
  const base = { id: 'reverse-dns', title: `PTR and FCrDNS of ${o.ip}` } as const;
  const r = await verifyReverseDns(o.ip, { resolver: o.resolver, ...(o.signal ? { signal: o.signal } : {}) });
  // Suggest the HELO name for the PTR only if it could be one (a dotted, non-local name).
  const helo = o.helo === undefined ? undefined : normalizeName(o.helo);
  const hostname = helo?.includes('.') && !/^localhost\b/.test(helo) ? helo : `mail.${o.domain}`;
  const setPtr = `Ask whoever owns ${o.ip} (your hosting provider or ISP) to set its PTR to ${hostname}, and give ${hostname} an ${o.ip.includes(':') ? 'AAAA' : 'A'} record of ${o.ip}.`;
  switch (r.status) {
    case 'none':
      return { ...base, status: 'fail', summary: `no PTR record at ${r.reverseName}`, fix: setPtr };
    case 'tempfail':
      return {
        ...base,
        status: 'warn',
        summary: `DNS failure: ${r.failure?.message ?? ''}`,
        fix: 'Retry later.',
      };
    case 'unconfirmed':
      return {
        ...base,
        status: 'fail',
        summary: `PTR ${r.unconfirmed.join(', ')} does not resolve back to ${o.ip}`,
        fix: `Give ${r.unconfirmed[0]} an ${o.ip.includes(':') ? 'AAAA' : 'A'} record of ${o.ip}, or change the PTR. ${setPtr}`,
      };
    case 'confirmed': {
      if (helo !== undefined && !r.confirmed.includes(helo)) {
        return {
          ...base,
          status: 'warn',
          summary: `PTR ${r.confirmed.join(', ')} confirmed, but HELO ${o.helo} differs`,
          fix: `Use "${r.confirmed[0]}" as the HELO/EHLO name (or point the PTR at ${o.helo}).`,
        };
      }
      return {
        ...base,
        status: 'pass',
        summary: `${r.confirmed.join(', ')} (forward-confirmed${helo ? ', matches HELO' : ''})`,
      };
    }
  }
}

/** RFC 5782: not listed on the blocklists receivers use. */
export async function checkBlocklists(o: PreflightOptions): Promise<CheckResult> {
  const base = { id: 'dnsbl', title: `DNS blocklists (${o.dnsbls.length})` } as const;
  if (o.dnsbls.length === 0) return { ...base, status: 'skip', summary: 'no lists given' };
  const results = await checkDnsbl(o.ip, o.dnsbls, {
    resolver: o.resolver,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const details = results.map((r) =>
    r.status === 'listed'
      ? `${r.zone}: LISTED (${r.codes.join(', ')})${r.reason ? ` ${r.reason}` : ''}`
      : r.status === 'not-listed'
        ? `${r.zone}: not listed`
        : `${r.zone}: unknown — ${r.message}`,
  );
  const listed = results.filter((r) => r.status === 'listed');
  if (listed.length > 0) {
    return {
      ...base,
      status: 'fail',
      summary: `listed on ${listed.map((r) => r.zone).join(', ')}`,
      details,
      fix: "Follow the delisting link in the list's reason; residential/dynamic ranges (e.g. Spamhaus PBL) must send via a smart host.",
    };
  }
  const unknown = results.filter((r) => r.status === 'unknown');
  if (unknown.length > 0) {
    const refused = unknown.some((r) => r.status === 'unknown' && r.why === 'refused');
    return {
      ...base,
      status: 'warn',
      summary: `${unknown.length} list(s) gave no answer`,
      details,
      fix: refused
        ? "The list refused the query (127.255.255.x / rate limit): public resolvers are blocked; use your own recursive resolver or the list's DQS key."
        : 'Retry later.',
    };
  }
  return { ...base, status: 'pass', summary: 'not listed', details };
}

/** RFC 8461 §3.1: `_mta-sts.<domain>` TXT `v=STSv1; id=...`. */
export async function checkMtaSts(o: PreflightOptions): Promise<CheckResult> {
  const base = { id: 'mta-sts', title: `MTA-STS of ${o.domain}` } as const;
  const txt = await o.resolver.txt(`_mta-sts.${o.domain}`, lookup(o));
  if (txt.status === 'tempfail')
    return { ...base, status: 'warn', summary: `DNS failure: ${txt.message}`, fix: 'Retry.' };
  const records = txt.status === 'found' ? txtOf(txt.records).filter((t) => /^v=STSv1\s*(;|$)/.test(t)) : [];
  if (records.length === 1) return { ...base, status: 'pass', summary: records[0] ?? '' };
  return {
    ...base,
    status: 'warn',
    summary:
      records.length === 0
        ? 'no MTA-STS record (optional; protects mail sent to you)'
        : 'more than one v=STSv1 record',
    fix: `Publish TXT at _mta-sts.${o.domain}: "v=STSv1; id=20260101" and https://mta-sts.${o.domain}/.well-known/mta-sts.txt`,
  };
}

/** RFC 7489 §6.1: `_dmarc.<domain>` TXT starting `v=DMARC1`. */
export async function checkDmarc(o: PreflightOptions): Promise<CheckResult> {
  const base = { id: 'dmarc', title: `DMARC of ${o.domain}` } as const;
  const txt = await o.resolver.txt(`_dmarc.${o.domain}`, lookup(o));
  if (txt.status === 'tempfail')
    return { ...base, status: 'warn', summary: `DNS failure: ${txt.message}`, fix: 'Retry.' };
  const records = txt.status === 'found' ? txtOf(txt.records).filter((t) => /^v=DMARC1\s*(;|$)/.test(t)) : [];
  const add = `Publish TXT at _dmarc.${o.domain}: "v=DMARC1; p=none; rua=mailto:dmarc@${o.domain}" (then tighten p=)`;
  if (records.length !== 1) {
    return {
      ...base,
      status: 'fail',
      summary:
        records.length === 0
          ? 'no DMARC record (large mailbox providers require one of bulk senders)'
          : 'more than one DMARC record',
      fix: add,
    };
  }
  const record = records[0] ?? '';
  const policy = /(?:^|;)\s*p=([a-z]+)/i.exec(record)?.[1]?.toLowerCase();
  if (policy !== 'none' && policy !== 'quarantine' && policy !== 'reject') {
    return { ...base, status: 'fail', summary: `no valid p= tag: ${record}`, fix: add };
  }
  return { ...base, status: 'pass', summary: record };
}

/** Can this machine open TCP port 25 to the recipient's MX at all? */
export async function checkPort25(o: PreflightOptions): Promise<CheckResult> {
  if (!o.toMx) {
    return {
      id: 'port25',
      title: 'Outbound port 25',
      status: 'skip',
      summary: 'no --to-mx given',
      fix: 'Pass --to-mx gmail.com to test.',
    };
  }
  const port = o.smtpPort ?? 25;
  const base = { id: 'port25', title: `Outbound port ${port} to ${o.toMx}` } as const;
  // A diagnostic: private MX addresses are worth trying too.
  const route = await resolveMx(o.toMx, {
    resolver: o.resolver,
    allowPrivate: true,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  if (route.status !== 'ok')
    return { ...base, status: 'warn', summary: `cannot route to ${o.toMx}: ${route.message}` };
  const host = route.hosts[0];
  const address = host?.addresses[0];
  if (!host || !address) return { ...base, status: 'warn', summary: `no address for ${o.toMx}'s MX` };
  const probe = await probeSmtp(address.address, port, o.connectTimeout ?? 5000, o.signal);
  const where = `${host.exchange} [${address.address}]:${port}`;
  if (probe.status === 'unreachable') {
    return {
      ...base,
      status: 'fail',
      summary: `cannot reach ${where}: ${probe.message}`,
      details: [
        'Residential and many cloud networks block outbound port 25. Send through a smart host instead:',
        '  submission on port 587 with STARTTLS (RFC 6409), or port 465 with implicit TLS (RFC 8314),',
        "  e.g. your ISP's or mail provider's relay, or a transactional mail service.",
      ],
      fix: 'Relay via a smart host on 587/465, or ask your provider to unblock port 25.',
    };
  }
  if (probe.code !== 220) {
    return {
      ...base,
      status: 'warn',
      summary: `${where} answered ${probe.code} ${probe.text}`,
      fix: 'The server refused the session at connect; your IP may be blocked by it.',
    };
  }
  return { ...base, status: 'pass', summary: `${where} greeted in ${probe.ms} ms: 220 ${probe.text}` };
}

/** Runs every check (DNS checks in parallel, then port 25). */
export async function runPreflight(o: PreflightOptions): Promise<PreflightReport> {
  const checks = await Promise.all([
    checkMx(o),
    checkSpf(o),
    checkDkim(o),
    checkReverseDns(o),
    checkBlocklists(o),
    checkMtaSts(o),
    checkDmarc(o),
    checkPort25(o),
  ]);
  return { domain: o.domain, ip: o.ip, checks, ok: checks.every((c) => c.status !== 'fail') };
}
