/**
 * Boilerplate shared by the scripted-peer tests: the per-test server lifecycle, the client
 * options every plaintext test uses, and the greeting/EHLO/QUIT steps that open and close most
 * scripts. Anything a test is actually about stays written out byte for byte in the test.
 */
import { afterEach } from 'vitest';
import { type ScriptedServer, type ScriptPeer, scriptedServer } from './scripted-server';

/** Client options for a plaintext loopback session that greets as `client.test`. */
export const baseOptions = (port: number) => ({
  host: '127.0.0.1',
  port,
  security: 'none' as const,
  name: 'client.test',
});

/** A multiline EHLO reply (RFC 5321 §4.1.1.1): the domain line, then one line per capability. */
export function ehloReply(caps: readonly string[] = [], domain = 'mx.test'): string {
  const lines = [domain, ...caps];
  return lines.map((line, i) => `250${i === lines.length - 1 ? ' ' : '-'}${line}\r\n`).join('');
}

/** Sends the `220 mx.test ESMTP` greeting, expects `EHLO client.test`, answers with `caps`. */
export async function greetAndEhlo(peer: ScriptPeer, caps: readonly string[] = []): Promise<void> {
  await peer.send('220 mx.test ESMTP\r\n');
  await peer.expect('EHLO client.test\r\n');
  await peer.send(ehloReply(caps));
}

/** Expects `QUIT` and answers it (RFC 5321 §4.1.1.10). */
export async function expectQuit(peer: ScriptPeer, reply = '221 bye\r\n'): Promise<void> {
  await peer.expect('QUIT\r\n');
  await peer.send(reply);
}

/**
 * Registers an `afterEach` that closes the test's server and returns the function that starts it,
 * so each test holds its own `const server` and no test leaks a listening socket.
 */
export function useScriptedServer(): typeof scriptedServer {
  let current: ScriptedServer | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (script, options) => {
    current = await scriptedServer(script, options);
    return current;
  };
}
