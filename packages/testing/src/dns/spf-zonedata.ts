import type { Zone, ZoneFault, ZoneRecordType, ZoneTxt } from '@smtpkit/dns';

/**
 * The `zonedata` mapping of the RFC 7208 (openspf) test suite, as a YAML parser returns it:
 * name → list of `{ TYPE: value }` entries or the bare string `TIMEOUT`.
 * @example
 * const zonedata: SpfZonedata = {
 *   'example.net': [{ SPF: 'v=spf1 -all' }, { A: '192.0.2.1' }],
 *   'slow.example.net': ['TIMEOUT'],
 * };
 */
export type SpfZonedata = {
  readonly [name: string]: readonly (string | { readonly [type: string]: unknown })[] | null;
};

interface Draft {
  a: string[];
  aaaa: string[];
  mx: { priority: number; exchange: string }[];
  txt: ZoneTxt[];
  spf: ZoneTxt[];
  ptr: string[];
  cname?: string;
  hasTxtEntry: boolean;
  faults: { [K in ZoneRecordType | 'otherwise']?: ZoneFault };
}

function text(name: string, type: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new TypeError(`zonedata ${name}: ${type} value must be a string, got ${JSON.stringify(value)}`);
}

function txtValue(name: string, type: string, value: unknown): ZoneTxt {
  // A list is the record's character-strings (the suite concatenates them without spaces).
  if (Array.isArray(value)) return value.map((part) => text(name, type, part));
  return [text(name, type, value)];
}

/**
 * Converts RFC 7208 suite `zonedata` to a `Zone` (from `@smtpkit/dns`) with the suite's driver conventions
 * (see the corpus README and pyspf's test driver):
 * - `SPF` records are served as TXT for a name that has no `TXT` entry at all (`TXT: NONE`
 *   counts as an entry and suppresses the copy); the SPF RR type itself is not served
 *   (RFC 7208 §3.1: implementations query TXT only);
 * - `TXT: NONE` means no TXT record; `TYPE: TIMEOUT` makes that type time out; a bare
 *   `TIMEOUT` makes every type the name has no record of time out;
 * - a list value is the record's strings (`[]` is served as one empty string);
 * - `MX: [preference, exchange]`; `A`, `AAAA`, `PTR`, `CNAME` take a string;
 * - a name absent from the zonedata answers NXDOMAIN.
 *
 * Strings keep the code points YAML decoded (`"\xEF"` is U+00EF) and go on the wire as UTF-8,
 * as pyspf's driver does.
 * @throws TypeError for an entry of an unknown type or a malformed value.
 * @example
 * ```ts
 * const zone = fromSpfZonedata({
 *   'example.net': [{ SPF: 'v=spf1 -all' }, { A: '192.0.2.1' }],
 *   'slow.example.net': ['TIMEOUT'],
 * });
 * const dns = await startDnsServer({ zone });
 * ```
 */
export function fromSpfZonedata(zonedata: SpfZonedata): Zone {
  const zone: Record<string, Zone[string]> = {};
  for (const [name, entries] of Object.entries(zonedata ?? {})) {
    const draft: Draft = {
      a: [],
      aaaa: [],
      mx: [],
      txt: [],
      spf: [],
      ptr: [],
      hasTxtEntry: false,
      faults: {},
    };
    for (const entry of entries ?? []) {
      if (typeof entry === 'string') {
        if (entry.toUpperCase() !== 'TIMEOUT')
          throw new TypeError(`zonedata ${name}: unknown entry ${JSON.stringify(entry)}`);
        draft.faults.otherwise = 'timeout';
        continue;
      }
      for (const [rawType, value] of Object.entries(entry)) {
        const type = rawType.toUpperCase();
        if (type === 'TXT') draft.hasTxtEntry = true;
        if (value === 'TIMEOUT') {
          const key = ({ TXT: 'txt', A: 'a', AAAA: 'aaaa', MX: 'mx', PTR: 'ptr', CNAME: 'cname' } as const)[
            type as 'TXT' | 'A' | 'AAAA' | 'MX' | 'PTR' | 'CNAME'
          ];
          if (key) draft.faults[key] = 'timeout';
          continue;
        }
        switch (type) {
          case 'TXT':
            if (value !== 'NONE') draft.txt.push(txtValue(name, type, value));
            break;
          case 'SPF':
            if (value !== 'NONE') draft.spf.push(txtValue(name, type, value));
            break;
          case 'A':
            draft.a.push(text(name, type, value));
            break;
          case 'AAAA':
            draft.aaaa.push(text(name, type, value));
            break;
          case 'PTR':
            draft.ptr.push(text(name, type, value));
            break;
          case 'CNAME':
            draft.cname = text(name, type, value);
            break;
          case 'MX': {
            if (!Array.isArray(value) || value.length !== 2) {
              throw new TypeError(`zonedata ${name}: MX must be [preference, exchange]`);
            }
            draft.mx.push({ priority: Number(value[0]), exchange: text(name, type, value[1]) });
            break;
          }
          default:
            throw new TypeError(`zonedata ${name}: unsupported record type ${rawType}`);
        }
      }
    }
    const txt = draft.hasTxtEntry ? draft.txt : draft.spf;
    const faults = Object.keys(draft.faults).length > 0 ? { faults: draft.faults } : {};
    zone[name] = {
      ...(draft.a.length ? { a: draft.a } : {}),
      ...(draft.aaaa.length ? { aaaa: draft.aaaa } : {}),
      ...(draft.mx.length ? { mx: draft.mx } : {}),
      ...(txt.length ? { txt } : {}),
      ...(draft.ptr.length ? { ptr: draft.ptr } : {}),
      ...(draft.cname !== undefined ? { cname: draft.cname } : {}),
      ...faults,
    };
  }
  return zone;
}
