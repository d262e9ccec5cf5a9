/**
 * Recording a result: the Received-SPF header field (RFC 7208 §9.1) and the `spf=` method of
 * Authentication-Results (RFC 8601 §2.7.2, RFC 7208 §9.2). Pure text functions.
 */
import type { CheckHostResult, SpfIdentity } from '../types';

/** What the header needs beyond the result itself. */
export interface SpfReportContext {
  /** The SMTP client's address (`client-ip=`). */
  readonly ip: string;
  /** The identity checked. Default `mailfrom`. */
  readonly identity?: SpfIdentity;
  /** The MAIL FROM address (`envelope-from=`); `''` for the null reverse-path. */
  readonly envelopeFrom?: string;
  /** The HELO/EHLO name (`helo=`). */
  readonly helo?: string;
  /** The receiving host's name (`receiver=`, and the comment's authority). */
  readonly receiver?: string;
}

const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** RFC 5322 §3.2.4 quoted-string, with line breaks and other controls dropped. */
function quoted(value: string): string {
  return `"${clean(value).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function clean(value: string): string {
  // A header value must not carry CR/LF (header injection) or other controls.
  return value.replace(/[\x00-\x1f\x7f]/g, '').slice(0, 256);
}

function atomOrQuoted(value: string): string {
  return DOT_ATOM.test(value) ? value : quoted(value);
}

/** RFC 5322 §3.2.2 comment text: parentheses and backslashes escaped. */
function comment(text: string): string {
  return `(${clean(text).replace(/[()\\]/g, (c) => `\\${c}`)})`;
}

function who(context: SpfReportContext): string {
  if (context.identity === 'helo') return context.helo ?? '';
  return context.envelopeFrom || `postmaster@${context.helo ?? ''}`;
}

/** The §9.1 comment, in the wording of the RFC's examples. */
function describe(result: CheckHostResult, context: SpfReportContext): string {
  const by = context.receiver ? `${context.receiver}: ` : '';
  const sender = who(context);
  switch (result.result) {
    case 'pass':
      return `${by}domain of ${sender} designates ${context.ip} as permitted sender`;
    case 'fail':
      return `${by}domain of ${sender} does not designate ${context.ip} as permitted sender`;
    case 'softfail':
      return `${by}domain of transitioning ${sender} does not designate ${context.ip} as permitted sender`;
    case 'neutral':
      return `${by}${context.ip} is neither permitted nor denied by domain of ${sender}`;
    case 'none':
      return `${by}domain of ${sender} does not designate permitted sender hosts`;
    case 'temperror':
      return `${by}temporary error in processing during lookup of ${sender}`;
    case 'permerror':
      return `${by}permanent error in processing domain of ${sender}`;
  }
}

/**
 * The Received-SPF header field (RFC 7208 §9.1), without the trailing CRLF, unfolded.
 *
 * @example
 * ```ts
 * formatReceivedSpf(result, { ip: '192.0.2.1', envelopeFrom: 'alice@example.com', helo: 'mx.example.com', receiver: 'mx.example.org' });
 * // 'Received-SPF: pass (mx.example.org: domain of alice@example.com designates 192.0.2.1 as permitted sender)
 * //  client-ip=192.0.2.1; envelope-from="alice@example.com"; helo=mx.example.com; receiver=mx.example.org; identity=mailfrom'
 * ```
 */
export function formatReceivedSpf(result: CheckHostResult, context: SpfReportContext): string {
  const pairs: string[] = [`client-ip=${atomOrQuoted(context.ip)}`];
  if (context.envelopeFrom !== undefined) pairs.push(`envelope-from=${quoted(context.envelopeFrom)}`);
  if (context.helo) pairs.push(`helo=${atomOrQuoted(context.helo)}`);
  if (context.receiver) pairs.push(`receiver=${atomOrQuoted(context.receiver)}`);
  if (result.mechanism) pairs.push(`mechanism=${atomOrQuoted(result.mechanism)}`);
  if ((result.result === 'permerror' || result.result === 'temperror') && result.problems?.length) {
    pairs.push(`problem=${quoted(result.problems[result.problems.length - 1]!)}`);
  }
  pairs.push(`identity=${context.identity ?? 'mailfrom'}`);
  return `Received-SPF: ${result.result} ${comment(describe(result, context))} ${pairs.join('; ')}`;
}

/**
 * The `spf=` resinfo of an Authentication-Results header field (RFC 8601 §2.7.2): the result
 * and `smtp.mailfrom` or `smtp.helo`. Put it after the authserv-id: `Authentication-Results:
 * mx.example.org; ${formatSpfAuthenticationResult(...)}`.
 *
 * @example
 * ```ts
 * formatSpfAuthenticationResult(result, { ip: '192.0.2.1', envelopeFrom: 'alice@example.com' });
 * // 'spf=pass smtp.mailfrom=alice@example.com'
 * ```
 */
export function formatSpfAuthenticationResult(result: CheckHostResult, context: SpfReportContext): string {
  const property =
    context.identity === 'helo'
      ? `smtp.helo=${atomOrQuoted(context.helo ?? '')}`
      : `smtp.mailfrom=${pvalue(who(context))}`;
  return `spf=${result.result} ${property}`;
}

/** RFC 8601 pvalue: `[local-part "@"] domain`, quoting a local-part that isn't a dot-atom. */
function pvalue(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return atomOrQuoted(address);
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  return `${local === '' || DOT_ATOM.test(local) ? local : quoted(local)}@${atomOrQuoted(domain)}`;
}
