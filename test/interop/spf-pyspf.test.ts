/**
 * @smtpkit/spf vs pyspf (Debian python3-spf), differential: the same queries over the same
 * zone data, answered for pyspf by test/interop/spf_pyspf_harness.py's fake DNS and for us by
 * createStaticResolver over the same zonedata. The queries are the openspf suite's own cases
 * plus every (policy domain × address seen in the scenario) pair, as MAIL FROM and as HELO, so
 * most answers are ones the suite never pinned down.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createStaticResolver } from '@smtpkit/dns';
import { checkHost } from '@smtpkit/spf';
import { fromSpfZonedata, type SpfZonedata } from '@smtpkit/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { debianPython, pythonModuleAvailability } from '../support/services';

const suitePath = fileURLToPath(new URL('../../../shared/corpora/spf/rfc7208-tests.yml', import.meta.url));
const harness = fileURLToPath(new URL('./spf_pyspf_harness.py', import.meta.url));
const corpus = existsSync(suitePath);
if (!corpus) process.stderr.write(`skip: SPF suite not found at ${suitePath}\n`);
const pyspf = corpus ? pythonModuleAvailability('spf', 'yaml') : { available: false, reason: '' };

interface Query {
  readonly ip: string;
  readonly mailfrom: string;
  readonly helo: string;
  readonly id: string;
}
interface Scenario {
  readonly zonedata: SpfZonedata;
  readonly queries: Query[];
}
interface PyspfAnswer {
  readonly scenario: number;
  readonly index: number;
  readonly result: string;
  readonly explanation?: string;
  readonly problem?: string;
}

/**
 * Known difference, on purpose: pyspf counts every empty DNS answer as a void lookup,
 * including the PTR walk behind `%{p}` and the address lookups of MX/PTR targets. RFC 7208
 * §4.6.4 limits void lookups per *term* (the mechanism's own query), which is what we count.
 * So a policy near the limit can be pyspf's permerror and our ordinary result.
 */
function voidCountingDifference(
  ours: { result: string; lookups: { void: number } },
  theirs: PyspfAnswer,
): boolean {
  return (
    theirs.result === 'permerror' && /void lookup limit/i.test(theirs.problem ?? '') && ours.lookups.void <= 2
  );
}

/**
 * Known difference, on purpose: pyspf rejects `include:` of the record's own domain before
 * evaluating ("trivial recursion"). RFC 7208 has no such rule: a loop ends in permerror
 * through the §4.6.4 term limit if evaluation reaches it, and an earlier match decides first.
 */
function trivialRecursionDifference(theirs: PyspfAnswer): boolean {
  return theirs.result === 'permerror' && /trivial recursion/i.test(theirs.problem ?? '');
}

/**
 * Known difference, on purpose: pyspf writes the IPv6 nibbles of `%{i}` in upper case always;
 * we keep the address's own spelling (RFC 7208 §7.4's example expands `2001:db8::cb01` to
 * lower-case nibbles; the suite's "v-macro-ip6" gives `CAFE:BABE::1` upper-case ones). DNS
 * names are case-insensitive, so only explanation text can differ, and only in case.
 */
function nibbleCaseDifference(ip: string, ours: { explanation?: string }, theirs: PyspfAnswer): boolean {
  return (
    ip.includes(':') &&
    theirs.result === 'fail' &&
    ours.explanation !== undefined &&
    ours.explanation.toUpperCase() === theirs.explanation?.toUpperCase()
  );
}

/** Runs the harness over a batch of scenarios: one answer per query. */
function runPyspf(scenarios: readonly Scenario[]): PyspfAnswer[] {
  const output = execFileSync(debianPython, [harness], {
    input: JSON.stringify({ scenarios }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as PyspfAnswer);
}

function buildScenarios(): Scenario[] {
  const docs = parseAllDocuments(readFileSync(suitePath, 'utf8'));
  const scenarios: Scenario[] = [];
  for (const doc of docs) {
    const value = doc.toJS() as {
      tests?: Record<string, { host: string; mailfrom: string; helo: string }>;
      zonedata?: SpfZonedata;
    } | null;
    if (!value?.tests) continue;
    const zonedata = value.zonedata ?? {};
    const queries: Query[] = Object.entries(value.tests).map(([id, t]) => ({
      id,
      ip: String(t.host),
      mailfrom: String(t.mailfrom ?? ''),
      helo: String(t.helo),
    }));
    // Every address the scenario mentions, tried against every name that publishes a policy.
    const ips = new Set(queries.map((q) => q.ip));
    for (const entries of Object.values(zonedata)) {
      for (const entry of entries ?? []) {
        if (typeof entry !== 'string' && typeof entry.A === 'string') ips.add(entry.A);
        if (typeof entry !== 'string' && typeof entry.AAAA === 'string') ips.add(entry.AAAA);
      }
    }
    const policies = Object.entries(zonedata)
      .filter(([, entries]) =>
        (entries ?? []).some((e) => typeof e !== 'string' && ('SPF' in e || 'TXT' in e)),
      )
      .map(([name]) => name);
    for (const name of policies) {
      for (const ip of ips) {
        queries.push({ id: `${name}@${ip}`, ip, mailfrom: `first.last-x@${name}`, helo: 'mail.example.com' });
        // The HELO identity (null reverse-path): sender postmaster@<helo>, %{h} the name itself.
        queries.push({ id: `HELO ${name}@${ip}`, ip, mailfrom: '', helo: name });
      }
    }
    scenarios.push({ zonedata, queries });
  }
  return scenarios;
}

describe.skipIf(!pyspf.available)('SPF interop: @smtpkit/spf vs pyspf over the suite zonedata', () => {
  it('gives the same result (and the same explanation for fail) on every query', async () => {
    const scenarios = buildScenarios();
    const answers = runPyspf(scenarios);
    const total = scenarios.reduce((n, s) => n + s.queries.length, 0);
    expect(answers).toHaveLength(total);

    const mismatches: string[] = [];
    let voidDifferences = 0;
    for (const answer of answers) {
      const scenario = scenarios[answer.scenario]!;
      const q = scenario.queries[answer.index]!;
      const resolver = createStaticResolver(fromSpfZonedata(scenario.zonedata));
      const sender = q.mailfrom === '' ? `postmaster@${q.helo}` : q.mailfrom;
      const domain = sender.slice(sender.lastIndexOf('@') + 1);
      const ours = await checkHost(
        { ip: q.ip, domain, sender, helo: q.helo },
        { resolver, defaultExplanation: 'DEFAULT', receiver: 'receiver.example.org' },
      );
      const same =
        ours.result === answer.result &&
        (answer.result !== 'fail' || ours.explanation === answer.explanation);
      if (!same && voidCountingDifference(ours, answer)) {
        voidDifferences++;
      } else if (!same) {
        mismatches.push(
          `${q.id} (${q.ip}, ${q.mailfrom || `HELO ${q.helo}`}): ours ${ours.result}${ours.explanation ? ` "${ours.explanation}"` : ''}, ` +
            `pyspf ${answer.result}${answer.explanation ? ` "${answer.explanation}"` : ''}`,
        );
      }
    }
    process.stdout.write(
      `pyspf interop: ${total} queries, ${total - mismatches.length - voidDifferences} agree, ` +
        `${voidDifferences} differ only by pyspf's void counting, ${mismatches.length} other\n`,
    );
    expect(mismatches).toEqual([]);
  });

  it('agrees on 1,500 random policies (fixed seed) apart from the known differences', async () => {
    const names = ['example.com', 'a.example.com', 'b.example.com', 'c.example.com'];
    const target = fc.constantFrom(
      ...names,
      'missing.example.com',
      '%{d}',
      '%{o}',
      '%{l}.a.example.com',
      '%{ir}.%{v}.b.example.com',
      '%{d2}',
      '%{p}.c.example.com',
    );
    const term = fc.oneof(
      fc.constantFrom(
        'all',
        '-all',
        '~all',
        '?all',
        'a',
        'mx',
        'ptr',
        'a/24',
        'mx//64',
        'ip4:192.0.2.0/24',
        'ip6:2001:db8::/32',
        'ip4:198.51.100.1',
      ),
      ...['include:', 'a:', 'ptr:', 'exists:', 'redirect=', 'exp='].map((prefix) =>
        target.map((t) => prefix + t),
      ),
      target.map((t) => `mx:${t}/24`),
    );
    const record = fc
      .array(fc.tuple(fc.constantFrom('', '+', '-', '~', '?'), term), { maxLength: 8 })
      .map((terms) => `v=spf1 ${terms.map(([q, t]) => (t.includes('=') ? t : q + t)).join(' ')}`);
    const node = fc.tuple(
      fc.array(record, { maxLength: 1 }),
      fc.array(fc.constantFrom(...names, 'missing.example.com'), { maxLength: 4 }),
      fc.array(fc.constantFrom('192.0.2.1', '198.51.100.1', '2001:db8::1'), { maxLength: 2 }),
      fc.constantFrom('', 'exp text %{s} %{c}', '%{i} %{l}'),
    );
    const zone = fc.tuple(...names.map(() => node)).map((perName) => {
      const zonedata: Record<string, (string | Record<string, unknown>)[]> = {};
      perName.forEach(([records, mx, addresses, text], i) => {
        const entries: (string | Record<string, unknown>)[] = records.map((r) => ({ TXT: r }));
        if (text && records.length === 0) entries.push({ TXT: text });
        for (const [priority, exchange] of mx.entries()) entries.push({ MX: [priority, exchange] });
        for (const a of addresses) entries.push(a.includes(':') ? { AAAA: a } : { A: a });
        zonedata[names[i]!] = entries;
      });
      zonedata['1.2.0.192.in-addr.arpa'] = [{ PTR: 'a.example.com' }, { PTR: 'b.example.com' }];
      return zonedata as SpfZonedata;
    });
    const samples = fc.sample(fc.tuple(zone, fc.constantFrom('192.0.2.1', '2001:db8::1', '198.51.100.1')), {
      numRuns: 1500,
      seed: 7208,
    });
    const scenarios: Scenario[] = samples.map(([zonedata, ip]) => ({
      zonedata,
      queries: [{ id: ip, ip, mailfrom: 'first.last@example.com', helo: 'h.example.org' }],
    }));
    const answers = runPyspf(scenarios);
    expect(answers).toHaveLength(scenarios.length);
    const mismatches: string[] = [];
    let known = 0;
    for (const answer of answers) {
      const scenario = scenarios[answer.scenario]!;
      const q = scenario.queries[0]!;
      const ours = await checkHost(
        { ip: q.ip, domain: 'example.com', sender: q.mailfrom, helo: q.helo },
        {
          resolver: createStaticResolver(fromSpfZonedata(scenario.zonedata)),
          defaultExplanation: 'DEFAULT',
          receiver: 'receiver.example.org',
        },
      );
      const same =
        ours.result === answer.result &&
        (answer.result !== 'fail' || ours.explanation === answer.explanation);
      if (same) continue;
      if (
        voidCountingDifference(ours, answer) ||
        trivialRecursionDifference(answer) ||
        nibbleCaseDifference(q.ip, ours, answer)
      ) {
        known++;
        continue;
      }
      mismatches.push(
        `${JSON.stringify(scenario.zonedata)} ${q.ip}: ours ${ours.result} ${ours.explanation ?? ''}, ` +
          `pyspf ${answer.result} ${answer.explanation ?? answer.problem ?? ''}`,
      );
    }
    process.stdout.write(
      `pyspf random policies: ${answers.length}, ${answers.length - known - mismatches.length} agree, ${known} known differences, ${mismatches.length} other\n`,
    );
    expect(mismatches).toEqual([]);
  });
});
