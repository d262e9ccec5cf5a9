import type { DsnAction, DsnNotify } from './types';

/**
 * RFC 3461 §4.1: with no NOTIFY the MTA picks; `FAILURE,DELAY` is what Postfix and Sendmail do
 * (delay notices are still only sent when the worker is configured to send them).
 */
export const DEFAULT_NOTIFY: DsnNotify = ['FAILURE', 'DELAY'];

/**
 * Whether a recipient's NOTIFY asks for a report on this action (RFC 3461 §4.1): `NEVER` never;
 * `failed` needs FAILURE, `delayed` DELAY, `delivered`/`relayed`/`expanded` SUCCESS.
 * @example
 * ```ts
 * notifyWants(['SUCCESS', 'FAILURE'], 'failed'); // true
 * notifyWants(undefined, 'delayed'); // true: the default is FAILURE,DELAY
 * notifyWants('NEVER', 'failed'); // false
 * ```
 */
export function notifyWants(notify: DsnNotify | undefined, action: DsnAction): boolean {
  const n = notify ?? DEFAULT_NOTIFY;
  if (n === 'NEVER') return false;
  switch (action) {
    case 'failed':
      return n.includes('FAILURE');
    case 'delayed':
      return n.includes('DELAY');
    default:
      return n.includes('SUCCESS');
  }
}

/**
 * Whether any DSN may go to this reverse-path at all. RFC 5321 §4.5.5 and RFC 3461 §6.2: a
 * message with a null reverse-path (`<>`, given as `''`) is itself a notification and must
 * never draw one, or two MTAs would bounce bounces at each other forever.
 * @example
 * ```ts
 * mayNotify('alice@example.org'); // true
 * mayNotify(''); // false: the message is itself a bounce
 * ```
 */
export function mayNotify(reversePath: string): boolean {
  return reversePath !== '' && reversePath !== '<>';
}

/**
 * Parses an ESMTP NOTIFY parameter value (`NEVER`, `SUCCESS,FAILURE`, …). Unknown keywords → `RangeError`.
 * @example
 * ```ts
 * parseNotify('success,FAILURE'); // ['SUCCESS', 'FAILURE']
 * parseNotify('NEVER'); // 'NEVER'
 * parseNotify('SOMETIMES'); // RangeError
 * ```
 */
export function parseNotify(value: string): DsnNotify {
  const words = value
    .toUpperCase()
    .split(',')
    .map((w) => w.trim());
  if (words.length === 1 && words[0] === 'NEVER') return 'NEVER';
  const out: ('SUCCESS' | 'FAILURE' | 'DELAY')[] = [];
  for (const w of words) {
    if (w !== 'SUCCESS' && w !== 'FAILURE' && w !== 'DELAY')
      throw new RangeError(`parseNotify: bad keyword ${w}`);
    if (!out.includes(w)) out.push(w);
  }
  return out;
}
