const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * Formats a date as an RFC 5322 §3.3 `date-time` in UTC (`Sun, 29 Nov 2026 20:30:19 +0000`).
 * `Date#toUTCString` ends in `GMT`, which §4.3 lists only as an obsolete zone, so it is not used.
 * @example
 * ```ts
 * formatRfc5322Date(new Date(Date.UTC(2026, 10, 29, 20, 30, 19))); // 'Sun, 29 Nov 2026 20:30:19 +0000'
 * ```
 */
export function formatRfc5322Date(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('formatRfc5322Date: invalid Date');
  return `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * Parses an RFC 5322 date-time (also the obsolete forms `Date.parse` accepts); `undefined` when unparseable.
 * @example
 * ```ts
 * parseRfc5322Date('Sun, 29 Nov 2026 21:30:19 +0100 (CET)')?.toISOString(); // '2026-11-29T20:30:19.000Z'
 * parseRfc5322Date('yesterday'); // undefined
 * ```
 */
export function parseRfc5322Date(text: string): Date | undefined {
  // Comments such as "(UTC)" confuse Date.parse in some engines; RFC 5322 §3.2.2 allows them anywhere.
  const ms = Date.parse(text.replace(/\([^()]*\)/g, ' ').trim());
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
