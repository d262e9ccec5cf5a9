/** RFC 3464 §2.3.3 `Action` values. */
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

/** An address with its RFC 3464 address-type (`rfc822` for SMTP mailboxes, `utf-8` for RFC 6533). */
export interface TypedAddress {
  readonly type: string;
  readonly address: string;
}

/** RFC 3461 §4.1 NOTIFY: `NEVER` alone, or any of `SUCCESS`, `FAILURE`, `DELAY`. */
export type DsnNotify = 'NEVER' | readonly ('SUCCESS' | 'FAILURE' | 'DELAY')[];

/** RFC 3461 §4.3 RET: return the headers only or the full message. */
export type DsnRet = 'HDRS' | 'FULL';

/** One recipient's block of a delivery-status report (RFC 3464 §2.3). */
export interface DsnRecipient {
  /** §2.3.2 Final-Recipient: the address this MTA tried (a bare address means `rfc822`). */
  readonly finalRecipient: string | TypedAddress;
  /** §2.3.1 Original-Recipient: from the ORCPT parameter (already xtext-decoded). */
  readonly originalRecipient?: TypedAddress;
  /** §2.3.3 Action. */
  readonly action: DsnAction;
  /** §2.3.4 Status: an RFC 3463 code such as `5.1.1`. */
  readonly status: string;
  /** §2.3.5 Remote-MTA: the host that answered (`dns` type). */
  readonly remoteMta?: string;
  /** §2.3.6 Diagnostic-Code of type `smtp`: the reply text, e.g. `550 5.1.1 No such user`. */
  readonly diagnosticCode?: string;
  /** §2.3.7 Last-Attempt-Date. */
  readonly lastAttemptDate?: Date;
  /** §2.3.9 Will-Retry-Until (delayed reports). */
  readonly willRetryUntil?: Date;
}
