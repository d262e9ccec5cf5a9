/** Loads the openspf RFC 7208 suite (corpora/spf) shared by the static and over-the-wire runs. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { ZoneData } from './zone-resolver';

/** One suite test case. */
export interface SuiteCase {
  readonly id: string;
  readonly scenario: number;
  readonly spec: string;
  readonly helo: string;
  readonly host: string;
  readonly mailfrom: string;
  /** Accepted results; the first is preferred. */
  readonly results: readonly string[];
  readonly explanation?: string;
}

/** One scenario: its zone and its cases. */
export interface SuiteScenario {
  readonly description: string;
  readonly zonedata: ZoneData;
  readonly cases: readonly SuiteCase[];
}

/** Path of the suite, outside the repo (never copied in). */
export const suitePath = fileURLToPath(
  new URL('../../../../../shared/corpora/spf/rfc7208-tests.yml', import.meta.url),
);

/** Whether the corpus is on this machine. */
export const suiteAvailable = existsSync(suitePath);
if (!suiteAvailable) process.stderr.write(`skip: SPF suite not found at ${suitePath}\n`);

interface RawTest {
  spec?: string | number;
  helo: string;
  host: string;
  mailfrom: string;
  result: string | string[];
  explanation?: string;
}

/** Parses every scenario of the suite. */
export function loadSuite(): SuiteScenario[] {
  const docs = parseAllDocuments(readFileSync(suitePath, 'utf8'));
  const scenarios: SuiteScenario[] = [];
  docs.forEach((doc, index) => {
    const value = doc.toJS() as {
      description?: string;
      tests?: Record<string, RawTest>;
      zonedata?: ZoneData;
    } | null;
    if (!value?.tests) return;
    const cases = Object.entries(value.tests).map(([id, t]) => ({
      id,
      scenario: index,
      spec: String(t.spec ?? ''),
      helo: String(t.helo),
      host: String(t.host),
      mailfrom: String(t.mailfrom ?? ''),
      results: Array.isArray(t.result) ? t.result : [t.result],
      ...(t.explanation === undefined ? {} : { explanation: String(t.explanation) }),
    }));
    scenarios.push({
      description: value.description ?? `scenario ${index}`,
      zonedata: value.zonedata ?? {},
      cases,
    });
  });
  return scenarios;
}

/**
 * The suite's identity rule (its README): MAIL FROM when given, else the HELO identity with
 * sender `postmaster@<helo>` (RFC 7208 §2.3, §2.4).
 */
export function identityOf(c: SuiteCase): { domain: string; sender: string } {
  const sender = c.mailfrom === '' ? `postmaster@${c.helo}` : c.mailfrom;
  const at = sender.lastIndexOf('@');
  return { sender, domain: at >= 0 ? sender.slice(at + 1) : sender };
}
