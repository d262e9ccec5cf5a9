import { connect } from 'node:net';

/** What a port-25 probe saw. */
export type ProbeResult =
  | { readonly status: 'greeting'; readonly code: number; readonly text: string; readonly ms: number }
  | { readonly status: 'unreachable'; readonly message: string };

/**
 * Opens a TCP connection to `host:port`, reads the SMTP greeting (RFC 5321 §4.2: the last line
 * of a reply has a space after the code), sends QUIT and hangs up. A timeout, refusal or reset
 * is `unreachable` — on a residential line that is usually the ISP's port-25 block.
 */
export function probeSmtp(
  host: string,
  port: number,
  timeout: number,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host, port });
    let buffered = '';
    let settled = false;
    const done = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => done({ status: 'unreachable', message: 'aborted' });
    const timer = setTimeout(
      () => done({ status: 'unreachable', message: `no greeting from ${host}:${port} within ${timeout} ms` }),
      timeout,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.setEncoding('latin1');
    socket.on('error', (error) => done({ status: 'unreachable', message: error.message }));
    socket.on('close', () => done({ status: 'unreachable', message: 'connection closed before a greeting' }));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (const line of buffered.split('\r\n').slice(0, -1)) {
        const match = /^(\d{3})( |$)(.*)$/.exec(line);
        if (!match) continue;
        socket.write('QUIT\r\n');
        done({
          status: 'greeting',
          code: Number(match[1]),
          text: match[3] ?? '',
          ms: Math.round(performance.now() - started),
        });
        return;
      }
      if (buffered.length > 4096)
        done({ status: 'unreachable', message: 'no SMTP greeting (not an SMTP server?)' });
    });
  });
}
