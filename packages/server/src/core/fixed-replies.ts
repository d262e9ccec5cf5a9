/**
 * Replies to the informational commands, which never depend on the session beyond being
 * allowed: answered straight from this table (counted as junk, Postfix-style).
 * @internal
 */
import type { EnhancedStatusCode } from '@smtpkit/wire';

/** A one-line reply, formatted (and cached) by the session's reply writer. @internal */
export interface FixedReply {
  readonly code: number;
  readonly enhanced: EnhancedStatusCode | undefined;
  readonly text: string;
}

/** Commands answered from {@link INFORMATIONAL_REPLIES}. @internal */
export type InformationalVerb = 'NOOP' | 'VRFY' | 'EXPN' | 'HELP';

/** The reply to each informational command. @internal */
export const INFORMATIONAL_REPLIES: Readonly<Record<InformationalVerb, FixedReply>> = {
  NOOP: { code: 250, enhanced: '2.0.0', text: 'Ok' },
  // RFC 5321 §3.5.3: 252 when the server will not verify but will accept mail.
  VRFY: {
    code: 252,
    enhanced: '2.5.0',
    text: 'Cannot VRFY user, but will accept message and attempt delivery',
  },
  // RFC 5321 §3.5.3: EXPN is optional; mailing lists are not disclosed.
  EXPN: { code: 502, enhanced: '5.5.1', text: 'Error: command not implemented' },
  HELP: { code: 214, enhanced: '2.0.0', text: 'See RFC 5321' },
};
