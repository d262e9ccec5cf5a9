/**
 * Reads a PROXY protocol header (v1 or v2) off a fresh socket from a trusted proxy, before any
 * SMTP is spoken. Decoding is in ../core/proxy-protocol.ts; this file only does the I/O.
 * @internal
 */
import type { Socket } from 'node:net';
import { decodeProxyHeader, type ProxyHeader } from '../core/proxy-protocol';

/** PROXY headers must arrive promptly; a proxy that stalls is not one we trust. */
const PROXY_TIMEOUT = 10_000;

/**
 * Resolves with the header once read (bytes after it are put back on the socket, which is
 * left paused), or `undefined` after destroying the socket when the header is bad or late.
 * `onBadHeader` hears why a header was refused.
 * @internal
 */
export function readProxyHeader(
  socket: Socket,
  onBadHeader: (reason: string) => void,
): Promise<ProxyHeader | undefined> {
  return new Promise((resolve) => {
    let buffered: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => done(undefined), PROXY_TIMEOUT);
    const done = (header: ProxyHeader | undefined, rest?: Uint8Array) => {
      clearTimeout(timer);
      socket.removeListener('data', onChunk);
      socket.pause();
      if (!header) socket.destroy();
      else if (rest && rest.length > 0) socket.unshift(Buffer.from(rest));
      resolve(header);
    };
    const onChunk = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const result = decodeProxyHeader(buffered);
      if (result.status === 'incomplete') return;
      if (result.status === 'error') {
        onBadHeader(result.message);
        done(undefined);
        return;
      }
      done(result.header, buffered.subarray(result.consumed));
    };
    socket.on('data', onChunk);
  });
}
