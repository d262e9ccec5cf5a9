/**
 * Reply formatting with a cache: a server sends the same few replies millions of times, so
 * each distinct reply is formatted once. Also maps backend failures to replies.
 * @internal
 */
import { type EnhancedStatusCode, formatReply, isSmtpReplyError, type Reply } from '@smtpkit/wire';

/** Formats replies, dropping enhanced codes when ENHANCEDSTATUSCODES is off. @internal */
export class ReplyWriter {
  private readonly cache = new Map<string, Uint8Array>();

  constructor(private readonly enhanced: boolean) {}

  /** Bytes of one reply (cached when single-line). */
  format(code: number, enhanced: EnhancedStatusCode | undefined, text: string): Uint8Array {
    const key = `${code}${enhanced ?? ''}${text}`;
    let bytes = this.cache.get(key);
    if (bytes === undefined) {
      bytes = formatReply(
        this.enhanced && enhanced ? { code, enhanced, lines: [text] } : { code, lines: [text] },
      );
      if (this.cache.size < 512) this.cache.set(key, bytes);
    }
    return bytes;
  }

  /** Bytes of a reply given whole (e.g. thrown by a backend). */
  formatReply(reply: Reply): Uint8Array {
    if (!this.enhanced && reply.enhanced) return formatReply({ code: reply.code, lines: reply.lines });
    return formatReply(reply);
  }
}

/** RFC 5321 §4.2.5 / Haraka#1263: a backend fault must defer, never bounce: 451 4.3.0. */
export const LOCAL_ERROR: Reply = { code: 451, enhanced: '4.3.0', lines: ['Local error in processing'] };

/**
 * The reply a backend failure becomes: the `SmtpReplyError`'s reply, or `fallback` (a 4yz) for
 * anything else, so a bug or an outage never turns into a permanent rejection.
 */
export function replyForFailure(error: unknown, fallback: Reply = LOCAL_ERROR): Reply {
  if (isSmtpReplyError(error)) {
    const reply = error.reply;
    // A "failure" with a 2yz/3yz code would desynchronise the client: treat it as a fault.
    return reply.code >= 400 ? reply : fallback;
  }
  return fallback;
}
