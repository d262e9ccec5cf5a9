/**
 * The SMTP-level entry: RFC 7208 §2.3 (HELO identity) then §2.4 (MAIL FROM identity), with
 * the null reverse-path checked as `postmaster@<HELO name>`.
 */
import { checkHost, isValidSpfDomain } from './check-host';
import type { CheckHostOptions, CheckHostResult, SpfIdentity } from './types';

/** What an SMTP server knows when MAIL FROM arrives. */
export interface CheckSpfInput {
  /** The SMTP client's address. */
  readonly ip: string;
  /** The HELO/EHLO name (may be an address literal or absent). */
  readonly helo?: string;
  /** The MAIL FROM reverse-path without angle brackets; `''` for the null reverse-path `<>`. */
  readonly sender: string;
}

/** Options for {@link checkSpf}: those of {@link checkHost}, plus whether to check HELO first. */
export interface CheckSpfOptions extends CheckHostOptions {
  /**
   * Check the HELO identity first (§2.3, RECOMMENDED). A HELO `fail` is conclusive and the
   * MAIL FROM check is skipped. Default `true`.
   */
  readonly checkHelo?: boolean;
}

/** The deciding check_host() result, which identity it was for, and both checks' results. */
export interface CheckSpfResult extends CheckHostResult {
  /** The identity whose result this is. */
  readonly identity: SpfIdentity;
  /** The `<sender>` check_host() was given (`postmaster@<helo>` for a null reverse-path). */
  readonly sender: string;
  /** The HELO check, when one ran. */
  readonly heloResult?: CheckHostResult;
  /** The MAIL FROM check, when one ran. */
  readonly mailFromResult?: CheckHostResult;
}

/**
 * Checks a connection as RFC 7208 §2.3/§2.4 describe: the HELO identity (when it is a domain
 * name), and, unless that failed, the MAIL FROM identity. With a null reverse-path the
 * MAIL FROM identity is `postmaster@<HELO>`, which is exactly the HELO check, so it runs once.
 *
 * @example
 * ```ts
 * const spf = await checkSpf(
 *   { ip: '192.0.2.10', helo: 'mail.example.com', sender: 'alice@example.com' },
 *   { resolver },
 * );
 * if (spf.result === 'fail') reply(550, `5.7.23 ${spf.explanation ?? 'SPF fail'}`);
 * ```
 */
export async function checkSpf(input: CheckSpfInput, options: CheckSpfOptions): Promise<CheckSpfResult> {
  const helo = input.helo ?? '';
  const heloSender = `postmaster@${helo}`;
  let heloResult: CheckHostResult | undefined;
  if ((options.checkHelo ?? true) || input.sender === '') {
    // §2.3: a HELO that is not a domain name (an address literal) has no SPF identity.
    if (isValidSpfDomain(helo)) {
      heloResult = await checkHost({ ip: input.ip, domain: helo, sender: heloSender, helo }, options);
    }
  }
  if (input.sender === '') {
    // §2.4: null reverse-path → postmaster@<helo>, the HELO identity's own check.
    const result =
      heloResult ?? (await checkHost({ ip: input.ip, domain: helo, sender: heloSender, helo }, options));
    return { ...result, identity: 'helo', sender: heloSender, heloResult: result };
  }
  if (heloResult?.result === 'fail') {
    return { ...heloResult, identity: 'helo', sender: heloSender, heloResult };
  }
  const at = input.sender.lastIndexOf('@');
  const domain = at >= 0 ? input.sender.slice(at + 1) : input.sender;
  const mailFromResult = await checkHost({ ip: input.ip, domain, sender: input.sender, helo }, options);
  return {
    ...mailFromResult,
    identity: 'mailfrom',
    sender: input.sender,
    ...(heloResult ? { heloResult } : {}),
    mailFromResult,
  };
}
