/**
 * createPool: connection reuse, maxConnections, and stale connections replaced without losing
 * the message (nodemailer#511, lettre#743) — retried once only when the server cannot have
 * accepted it.
 */
import { describe, expect, it } from 'vitest';
import { createPool } from '../src/index';
import type { ScriptPeer } from './helpers/scripted-server';
import { baseOptions, expectQuit, greetAndEhlo, useScriptedServer } from './helpers/session';

const te = new TextEncoder();
const body = te.encode('Subject: x\r\n\r\nhi\r\n');
const serve = useScriptedServer();

const envelope = (to: string) => ({ from: 'a@example.com', to: [to] });
const group = (to: string) => `MAIL FROM:<a@example.com>\r\nRCPT TO:<${to}>\r\nDATA\r\n`;

async function deliver(peer: ScriptPeer, to: string, delivered: string[]) {
  await peer.expect(group(to));
  await peer.send('250 ok\r\n250 ok\r\n354 go\r\n');
  await peer.expect('Subject: x\r\n\r\nhi\r\n.\r\n');
  delivered.push(to);
  await peer.send('250 ok\r\n');
}

describe('createPool', () => {
  it('reuses one connection for several messages (maxConnections 1)', async () => {
    const delivered: string[] = [];
    let connections = 0;
    const server = await serve(async (peer) => {
      connections += 1;
      await greetAndEhlo(peer, ['PIPELINING']);
      for (const to of ['1@example.org', '2@example.org', '3@example.org'])
        await deliver(peer, to, delivered);
      await expectQuit(peer);
    });
    const pool = createPool({
      ...baseOptions(server.port),
      maxConnections: 1,
    });
    const results = await Promise.all(
      ['1@example.org', '2@example.org', '3@example.org'].map((to) => pool.sendMail(envelope(to), body)),
    );
    expect(results.map((r) => r.accepted[0])).toEqual(['1@example.org', '2@example.org', '3@example.org']);
    expect(pool.size).toBe(1);
    await pool.close();
    await server.done();
    expect(connections).toBe(1);
    expect(delivered).toHaveLength(3);
  });

  it('a stale connection (421 to MAIL) is replaced and the message sent once on a fresh one', async () => {
    const delivered: string[] = [];
    let connections = 0;
    const server = await serve(async (peer) => {
      connections += 1;
      await greetAndEhlo(peer, ['PIPELINING']);
      if (connections === 1) {
        await deliver(peer, 'first@example.org', delivered);
        // The server's idle timer fired: it answers the next group with 421 and hangs up.
        await peer.expect(group('second@example.org'));
        await peer.send('421 4.4.2 idle timeout\r\n');
        peer.end();
        return;
      }
      await deliver(peer, 'second@example.org', delivered);
      await expectQuit(peer);
    });
    const pool = createPool({
      ...baseOptions(server.port),
      maxConnections: 1,
    });
    await pool.sendMail(envelope('first@example.org'), body);
    const second = await pool.sendMail(envelope('second@example.org'), body);
    expect(second.accepted).toEqual(['second@example.org']);
    await pool.close();
    await server.done();
    expect(connections).toBe(2);
    expect(delivered).toEqual(['first@example.org', 'second@example.org']);
  });

  it('a connection lost after the final dot is NOT retried (the message may have been accepted)', async () => {
    let connections = 0;
    const server = await serve(async (peer) => {
      connections += 1;
      await greetAndEhlo(peer, ['PIPELINING']);
      await deliver(peer, 'first@example.org', []);
      await peer.expect(group('second@example.org'));
      await peer.send('250 ok\r\n250 ok\r\n354 go\r\n');
      await peer.expect('Subject: x\r\n\r\nhi\r\n.\r\n');
      peer.destroy();
    });
    const pool = createPool({
      ...baseOptions(server.port),
      maxConnections: 1,
    });
    await pool.sendMail(envelope('first@example.org'), body);
    const error = await pool.sendMail(envelope('second@example.org'), body).catch((e) => e);
    expect(error).toMatchObject({ code: 'ERR_SMTP_CONNECTION', messageMayBeAccepted: true });
    await pool.close();
    await server.done();
    expect(connections).toBe(1);
  });

  it('maxMessagesPerConnection rotates connections; a connection closed while idle is skipped', async () => {
    let connections = 0;
    const server = await serve(async (peer) => {
      connections += 1;
      await greetAndEhlo(peer, ['PIPELINING']);
      await deliver(peer, `${connections}@example.org`, []);
      await expectQuit(peer);
    });
    const pool = createPool({
      ...baseOptions(server.port),
      maxConnections: 1,
      maxMessagesPerConnection: 1,
    });
    await pool.sendMail(envelope('1@example.org'), body);
    await pool.sendMail(envelope('2@example.org'), body);
    await pool.close();
    await server.done();
    expect(connections).toBe(2);
  });

  it('idleTimeout QUITs an idle connection; the next send opens a fresh one', async () => {
    let connections = 0;
    const server = await serve(async (peer) => {
      connections += 1;
      await greetAndEhlo(peer, ['PIPELINING']);
      await deliver(peer, `${connections}@example.org`, []);
      await expectQuit(peer);
    });
    const pool = createPool({
      ...baseOptions(server.port),
      idleTimeout: 100,
    });
    await pool.sendMail(envelope('1@example.org'), body);
    expect(pool.idle).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(pool.size).toBe(0);
    await pool.sendMail(envelope('2@example.org'), body);
    await pool.close();
    await server.done();
    expect(connections).toBe(2);
  });
});
