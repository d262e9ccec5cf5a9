/**
 * A Node `Transform` for signing while a message streams through, e.g. from an SMTP
 * DATA stream into a spool file. The bytes pass through (line ends normalised to CRLF,
 * as they are hashed); the DKIM-Signature field(s) are ready when the stream ends, to be
 * written in front of the spooled message.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { CR, LF } from '../core/bytes';
import { normalizeLineEnds } from '../core/line-ends';
import type { DkimSigner } from '../signer';

/** A pass-through stream that signs what flows through it, and its result. */
export interface DkimSignTransform {
  /** Pipe the message through this: bytes come out CRLF-normalised, as they were signed. */
  readonly transform: Transform;
  /** The DKIM-Signature field(s), each ending with CRLF; resolves when the stream ends. */
  readonly signatures: Promise<string>;
}

const CR_ONLY = new Uint8Array([CR]);

/**
 * Wraps a signer from `createDkimSigner` in a `Transform`. The signer must not be used for
 * another message until `signatures` has settled.
 *
 * @example
 * ```ts
 * const signing = createDkimSignTransform(signer);
 * await pipeline(dataStream, signing.transform, createWriteStream(bodyPath));
 * const fields = await signing.signatures; // prepend when delivering
 * ```
 */
export function createDkimSignTransform(signer: DkimSigner): DkimSignTransform {
  let heldCr = false;
  let resolve: (value: string) => void = () => undefined;
  let reject: (reason: unknown) => void = () => undefined;
  const signatures = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  signatures.catch(() => undefined);
  const push = (stream: Transform, bytes: Uint8Array) => {
    if (bytes.byteLength === 0) return;
    signer.update(bytes);
    stream.push(bytes);
  };
  const transform = new Transform({
    transform(this: Transform, chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      try {
        let bytes: Uint8Array = chunk;
        if (heldCr) {
          // A CR held back from the previous chunk: CRLF if this one starts with LF.
          heldCr = false;
          if (bytes[0] === LF) {
            push(this, normalizeLineEnds(Buffer.from([CR, LF])));
            bytes = bytes.subarray(1);
          } else {
            push(this, normalizeLineEnds(CR_ONLY));
          }
        }
        if (bytes.byteLength > 0 && bytes[bytes.byteLength - 1] === CR) {
          heldCr = true;
          bytes = bytes.subarray(0, bytes.byteLength - 1);
        }
        push(this, normalizeLineEnds(bytes));
        callback();
      } catch (error) {
        reject(error);
        callback(error as Error);
      }
    },
    flush(this: Transform, callback: TransformCallback) {
      try {
        if (heldCr) push(this, normalizeLineEnds(CR_ONLY));
        resolve(signer.final());
        callback();
      } catch (error) {
        reject(error);
        callback(error as Error);
      }
    },
  });
  transform.once('error', (error) => reject(error));
  return { transform, signatures };
}
