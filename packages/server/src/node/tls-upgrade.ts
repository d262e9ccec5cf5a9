/**
 * TLS on an accepted connection: the server side of a STARTTLS upgrade (RFC 3207 §4) over an
 * existing plain socket, and the facts about a finished handshake that events and the
 * backend see.
 * @internal
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { ChannelBinding } from '../core/sasl';
import type { TlsInfo } from './backend';
import type { ServerRuntime } from './runtime';

/**
 * Wraps `plain` in a server-side TLS socket with the runtime's certificate and SNI callback;
 * the handshake starts at once. The caller listens for `secure`, `error` and `close`.
 * @internal
 */
export function startServerTls(plain: Socket, runtime: ServerRuntime): TLSSocket {
  const secureContext = runtime.secureContext();
  return new TLSSocket(plain, {
    isServer: true,
    ...(secureContext ? { secureContext } : {}),
    SNICallback: runtime.sniCallback,
  });
}

/** Protocol, cipher and SNI name of a TLS socket whose handshake finished. @internal */
export function tlsInfo(socket: TLSSocket): TlsInfo {
  const cipher = socket.getCipher();
  const servername = (socket as TLSSocket & { servername?: string | false }).servername;
  return {
    protocol: socket.getProtocol() ?? undefined,
    cipher: cipher?.standardName ?? cipher?.name,
    servername: typeof servername === 'string' ? servername : undefined,
  };
}

/**
 * The `tls-exporter` channel binding of a finished handshake (RFC 9266): 32 octets exported
 * with the label "EXPORTER-Channel-Binding" and no context. Only on TLS 1.3: RFC 9266 §3
 * allows TLS 1.2 only with the extended master secret, which Node cannot tell us about.
 * @internal
 */
export function channelBindingOf(socket: TLSSocket): ChannelBinding | undefined {
  if (socket.getProtocol() !== 'TLSv1.3') return undefined;
  // An empty context: in TLS 1.3 the same as none (RFC 8446 §7.5), and Node's types want one.
  const data = socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  return { type: 'tls-exporter', data };
}
