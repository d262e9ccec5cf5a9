/**
 * MAIL FROM and RCPT TO parameters checked against what the server offers: a parameter of an
 * extension that is off is refused with `555 5.5.4` (RFC 5321 §4.1.1.11), and the few rules
 * that tie a parameter to the connection or the address are enforced here.
 */
import type { MailParameters, Path, RcptParameters, Reply } from '@smtpkit/wire';
import type { ResolvedExtensions, ResolvedLimits } from './options';

const TOO_BIG: Reply = {
  code: 552,
  enhanced: '5.3.4',
  lines: ['Message size exceeds fixed maximum message size'],
};
const UTF8_ADDRESS: Reply = { code: 553, enhanced: '5.6.7', lines: ['SMTPUTF8 required for this address'] };

function unsupported(name: string): Reply {
  return { code: 555, enhanced: '5.5.4', lines: [`Unsupported option: ${name}`] };
}

/** The refusal of a MAIL command's parameters, or `undefined` when they are acceptable. @internal */
export function checkMailParams(
  ext: ResolvedExtensions,
  limits: ResolvedLimits,
  secure: boolean,
  reversePath: Path,
  params: MailParameters,
): Reply | undefined {
  const unknown = params.extensions?.[0];
  if (unknown) return unsupported(unknown.keyword);
  if (params.size !== undefined) {
    if (!ext.size) return unsupported('SIZE');
    // RFC 1870 §6.1: a declared size over the limit is refused at MAIL.
    if (params.size > limits.maxMessageSize) return TOO_BIG;
  }
  if (params.body === '8BITMIME' && !ext.eightBitMime) return unsupported('BODY=8BITMIME');
  if (params.body === 'BINARYMIME' && !(ext.binaryMime && ext.chunking))
    return unsupported('BODY=BINARYMIME');
  if (params.smtpUtf8 && !ext.smtpUtf8) return unsupported('SMTPUTF8');
  if ((params.ret !== undefined || params.envid !== undefined) && !ext.dsn) return unsupported('RET/ENVID');
  if (params.auth !== undefined && !ext.auth) return unsupported('AUTH');
  if (params.requireTls) {
    if (!ext.requireTls) return unsupported('REQUIRETLS');
    // RFC 8689 §4.1: REQUIRETLS is only valid on a TLS session.
    if (!secure) return { code: 530, enhanced: '5.7.10', lines: ['REQUIRETLS needs a TLS session'] };
  }
  // RFC 6531 §3.4: a UTF-8 address needs the SMTPUTF8 parameter.
  if (reversePath.kind === 'mailbox' && reversePath.mailbox.utf8 && !params.smtpUtf8) return UTF8_ADDRESS;
  return undefined;
}

/**
 * The refusal of a RCPT command's parameters given the transaction's MAIL parameters, or
 * `undefined` when they are acceptable. @internal
 */
export function checkRcptParams(
  ext: ResolvedExtensions,
  mailParams: MailParameters | undefined,
  forwardPath: Path,
  params: RcptParameters,
): Reply | undefined {
  const unknown = params.extensions?.[0];
  if (unknown) return unsupported(unknown.keyword);
  // RFC 3461 §4: NOTIFY and ORCPT belong to DSN.
  if ((params.notify !== undefined || params.orcpt !== undefined) && !ext.dsn)
    return unsupported('NOTIFY/ORCPT');
  // RFC 6531 §3.4: as for MAIL, a UTF-8 recipient needs SMTPUTF8 on the transaction.
  if (forwardPath.kind === 'mailbox' && forwardPath.mailbox.utf8 && !mailParams?.smtpUtf8)
    return UTF8_ADDRESS;
  return undefined;
}
