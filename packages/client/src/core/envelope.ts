/**
 * Turning a caller's envelope into MAIL/RCPT commands for one server: which ESMTP
 * parameters to set (SIZE, BODY, SMTPUTF8, DSN, REQUIRETLS) and what to refuse before a
 * single byte is sent. Pure: the capabilities and TLS state come in as values.
 */
import {
  type DsnNotify,
  type EhloCapabilities,
  isSmtpError,
  type Mailbox,
  type MailParameters,
  type OriginalRecipient,
  type Path,
  parseMailbox,
  type RcptParameters,
} from '@smtpkit/wire';
import { SmtpClientError } from './errors';

/** DSN options for the whole message (RFC 3461 §4.3, §4.4). */
export interface DsnEnvelopeOptions {
  /** `RET=FULL` or `RET=HDRS`: how much of the message a bounce returns. */
  readonly ret?: 'FULL' | 'HDRS' | undefined;
  /** `ENVID=` (xtext-encoded on the wire): an id returned in DSNs. */
  readonly envid?: string | undefined;
}

/** A recipient with per-recipient DSN options (RFC 3461 §4.1, §4.2). */
export interface RecipientSpec {
  /** The mailbox, e.g. `user@example.org` (angle brackets optional), or `Postmaster`. */
  readonly address: string;
  /** `NOTIFY=`: `['NEVER']` or some of SUCCESS/FAILURE/DELAY. */
  readonly notify?: readonly DsnNotify[] | undefined;
  /** `ORCPT=`: the original recipient (a string means `rfc822;address`). */
  readonly orcpt?: string | OriginalRecipient | undefined;
}

/** Who a message is from and to (RFC 5321 §2.3.1: the envelope, not the headers). */
export interface Envelope {
  /** The reverse-path mailbox; `''` for the null reverse-path `<>` (bounces). */
  readonly from: string;
  /** The forward-paths, each a mailbox string or a {@link RecipientSpec}. */
  readonly to: readonly (string | RecipientSpec)[];
  /** Message-wide DSN options. */
  readonly dsn?: DsnEnvelopeOptions | undefined;
}

/** The body encoding to declare (RFC 6152 8BITMIME, RFC 3030 BINARYMIME). */
export type BodyType = '7BIT' | '8BITMIME' | 'BINARYMIME';

/** What is known about the body before sending. */
export interface BodyFacts {
  /** The size in octets, if known (a `Uint8Array` body, or given by the caller). */
  readonly size: number | undefined;
  /** Whether it has octets over 127; `undefined` when not known (a stream). */
  readonly eightBit: boolean | undefined;
}

/** Per-send options that shape the envelope. */
export interface EnvelopeOptions {
  /** Force the `BODY=` value; by default it is derived from the body. */
  readonly bodyType?: BodyType | undefined;
  /** Require RFC 8689 REQUIRETLS for this message (refused unless on TLS and offered). */
  readonly requireTls?: boolean | undefined;
  /** Use BDAT when the server offers CHUNKING. Default `true`. */
  readonly chunking?: boolean | undefined;
}

/** One planned RCPT. */
export interface PlannedRecipient {
  /** The address as the caller gave it (used as the key in results). */
  readonly address: string;
  readonly path: Path;
  readonly params: RcptParameters;
}

/** The commands one transaction will send. */
export interface TransactionPlan {
  readonly reversePath: Path;
  readonly mailParams: MailParameters;
  readonly recipients: readonly PlannedRecipient[];
  /** Send the body with BDAT (RFC 3030) instead of DATA. */
  readonly chunking: boolean;
  /** Whether DSN parameters were requested but dropped because the server lacks DSN (RFC 3461 §4). */
  readonly dsnDropped: boolean;
}

function callerError(message: string, cause?: unknown): TypeError {
  return new TypeError(message, cause === undefined ? undefined : { cause });
}

/** Parses a caller-supplied address; an unparseable one is a caller bug (TypeError). */
export function toPath(address: string, role: 'from' | 'to'): Path {
  if (typeof address !== 'string') throw callerError(`envelope.${role} must be a string`);
  let text = address.trim();
  if (text.startsWith('<') && text.endsWith('>')) text = text.slice(1, -1);
  if (role === 'from' && text === '') return { kind: 'null' };
  if (role === 'to' && text.toLowerCase() === 'postmaster') return { kind: 'postmaster' };
  try {
    return { kind: 'mailbox', mailbox: parseMailbox(text) };
  } catch (error) {
    if (isSmtpError(error)) throw callerError(`invalid ${role} address ${JSON.stringify(address)}`, error);
    throw error;
  }
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * A mailbox whose only non-ASCII part is an IDN domain can go to a server without
 * SMTPUTF8 as A-labels (RFC 6531 §3.2 leaves that to the client). `undefined` when the local
 * part itself is UTF-8.
 */
function asciiFallback(mailbox: Mailbox): Path | undefined {
  if (!ASCII.test(mailbox.localPart)) return undefined;
  return { kind: 'mailbox', mailbox: { ...mailbox, domain: mailbox.asciiDomain, utf8: false } };
}

function needsUtf8(path: Path): boolean {
  return path.kind === 'mailbox' && path.mailbox.utf8;
}

function unsupported(message: string): SmtpClientError {
  return new SmtpClientError(message, 'ERR_SMTP_UNSUPPORTED', 'mail');
}

/**
 * Plans one transaction for a server with `capabilities`. Throws a {@link SmtpClientError}
 * (`ERR_SMTP_UNSUPPORTED`, `ERR_SMTP_SIZE`) when the server cannot take this message as it
 * is, and `TypeError` for a malformed envelope.
 * @example
 * ```ts
 * const caps = parseEhlo(parseReply('250-mx.example.org\r\n250-SIZE 1000000\r\n250 CHUNKING\r\n'));
 * const plan = planTransaction(
 *   { from: 'alice@example.com', to: ['bob@example.org'] },
 *   caps,
 *   { size: 2048, eightBit: false },
 *   true, // on TLS
 * );
 * plan.chunking; // true: send the body with BDAT
 * plan.recipients[0]?.address; // 'bob@example.org'
 * ```
 */
export function planTransaction(
  envelope: Envelope,
  capabilities: EhloCapabilities | undefined,
  facts: BodyFacts,
  tls: boolean,
  options: EnvelopeOptions = {},
): TransactionPlan {
  if (typeof envelope !== 'object' || envelope === null) throw callerError('envelope must be an object');
  if (!Array.isArray(envelope.to) || envelope.to.length === 0) {
    throw callerError('envelope.to must list at least one recipient');
  }
  const caps = capabilities;
  let reversePath = toPath(envelope.from, 'from');
  const recipients = envelope.to.map((entry) => {
    const spec: RecipientSpec = typeof entry === 'string' ? { address: entry } : entry;
    return { spec, path: toPath(spec.address, 'to') };
  });

  // RFC 6531 §3.4: SMTPUTF8 on MAIL when any address needs it; without the extension, IDN
  // domains go as A-labels and UTF-8 local parts cannot be sent at all.
  let smtpUtf8 = false;
  const utf8Needed = needsUtf8(reversePath) || recipients.some((r) => needsUtf8(r.path));
  if (utf8Needed) {
    if (caps?.smtpUtf8) smtpUtf8 = true;
    else {
      const fix = (path: Path): Path => {
        if (path.kind !== 'mailbox' || !path.mailbox.utf8) return path;
        const ascii = asciiFallback(path.mailbox);
        if (ascii === undefined) {
          throw unsupported(
            `the server does not offer SMTPUTF8 (RFC 6531) and ${path.mailbox.address} has a UTF-8 local part`,
          );
        }
        return ascii;
      };
      reversePath = fix(reversePath);
      for (const r of recipients) r.path = fix(r.path);
    }
  }

  let body: BodyType | undefined = options.bodyType;
  if (body === undefined && facts.eightBit === true) body = '8BITMIME';
  if (body === undefined && facts.eightBit === undefined && caps?.eightBitMime) body = '8BITMIME';
  if (body === '8BITMIME' && !caps?.eightBitMime) {
    throw unsupported('the message has 8-bit content and the server does not offer 8BITMIME (RFC 6152)');
  }
  const chunkingOffered = caps?.chunking === true && options.chunking !== false;
  if (body === 'BINARYMIME' && !(caps?.binaryMime && chunkingOffered)) {
    throw unsupported('BODY=BINARYMIME needs the server to offer BINARYMIME and CHUNKING (RFC 3030)');
  }
  if (body === '7BIT' && facts.eightBit === true) {
    throw callerError('bodyType 7BIT given for a body with 8-bit octets');
  }

  // RFC 1870 §6: refuse up front rather than have the server reject after the upload.
  let size: number | undefined;
  if (caps?.size !== undefined && facts.size !== undefined) {
    if (caps.size > 0 && facts.size > caps.size) {
      throw new SmtpClientError(
        `message of ${facts.size} octets exceeds the server's SIZE limit of ${caps.size} (RFC 1870)`,
        'ERR_SMTP_SIZE',
        'mail',
      );
    }
    size = facts.size;
  }

  if (options.requireTls) {
    if (!tls) throw unsupported('REQUIRETLS (RFC 8689) needs a TLS connection');
    if (!caps?.requireTls) throw unsupported('the server does not offer REQUIRETLS (RFC 8689)');
  }

  const dsn = envelope.dsn;
  const wantsDsn =
    dsn?.ret !== undefined ||
    dsn?.envid !== undefined ||
    recipients.some((r) => r.spec.notify !== undefined || r.spec.orcpt !== undefined);
  // RFC 3461 §4: DSN parameters go only to a server that announced DSN.
  const useDsn = wantsDsn && caps?.dsn === true;

  const mailParams: MailParameters = {
    ...(size === undefined ? {} : { size }),
    ...(body === undefined || body === '7BIT' ? {} : { body }),
    ...(smtpUtf8 ? { smtpUtf8: true as const } : {}),
    ...(useDsn && dsn?.ret !== undefined ? { ret: dsn.ret } : {}),
    ...(useDsn && dsn?.envid !== undefined ? { envid: dsn.envid } : {}),
    ...(options.requireTls ? { requireTls: true as const } : {}),
  };
  return {
    reversePath,
    mailParams,
    recipients: recipients.map(({ spec, path }) => {
      const orcpt: OriginalRecipient | undefined =
        spec.orcpt === undefined
          ? undefined
          : typeof spec.orcpt === 'string'
            ? { addrType: 'rfc822', address: spec.orcpt }
            : spec.orcpt;
      const params: RcptParameters = {
        ...(useDsn && spec.notify !== undefined ? { notify: spec.notify } : {}),
        ...(useDsn && orcpt !== undefined ? { orcpt } : {}),
      };
      return { address: spec.address, path, params };
    }),
    chunking: chunkingOffered,
    dsnDropped: wantsDsn && !useDsn,
  };
}

/** Whether any octet is over 127 (decides `BODY=8BITMIME`, RFC 6152). */
export function hasEightBit(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) > 127) return true;
  return false;
}
