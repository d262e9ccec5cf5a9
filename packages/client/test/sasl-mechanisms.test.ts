import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createCramMd5Client,
  createLoginClient,
  createPlainClient,
  createScramSha256Client,
  createScramSha256PlusClient,
  createXoauth2Client,
} from '../src/index';
import { chooseMechanism } from '../src/node/auth';

const te = new TextEncoder();
const td = new TextDecoder();

describe('SASL mechanisms', () => {
  it('RFC 7677 §3 SCRAM-SHA-256 example exchange, byte for byte', () => {
    const scram = createScramSha256Client(
      { user: 'user', pass: 'pencil' },
      { nonce: 'rOprNGfwEbeRWgbNEkqO' },
    );
    expect(td.decode(scram.initialResponse())).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = scram.respond(
      te.encode('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'),
    );
    expect(td.decode(final)).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(scram.respond(te.encode('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toHaveLength(0);
    expect(() => scram.complete()).not.toThrow();
  });

  it('RFC 5802 §5.1: a wrong server signature (server does not know the password) is refused', () => {
    const scram = createScramSha256Client(
      { user: 'user', pass: 'pencil' },
      { nonce: 'rOprNGfwEbeRWgbNEkqO' },
    );
    scram.respond(
      te.encode('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'),
    );
    expect(() => scram.respond(te.encode('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toThrow(
      /signature/,
    );
    const skipped = createScramSha256Client({ user: 'user', pass: 'pencil' }, { nonce: 'abc' });
    expect(() => skipped.complete()).toThrow(/did not prove/);
  });

  it('RFC 5802 §6 / RFC 9266: -PLUS sends p=tls-exporter and proves over the binding data', () => {
    const data = new Uint8Array(32).fill(7);
    const plus = createScramSha256PlusClient(
      { user: 'user', pass: 'pencil' },
      { nonce: 'rOprNGfwEbeRWgbNEkqO', channelBinding: { type: 'tls-exporter', data } },
    );
    expect(plus.mechanism).toBe('SCRAM-SHA-256-PLUS');
    expect(td.decode(plus.initialResponse())).toBe('p=tls-exporter,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const serverFirst =
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
    const final = td.decode(plus.respond(te.encode(serverFirst)));
    // The proof, computed here from RFC 5802 §3 with c= = base64(gs2 header ‖ binding data).
    const c = Buffer.concat([Buffer.from('p=tls-exporter,,'), data]).toString('base64');
    const withoutProof = `c=${c},r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0`;
    const salted = pbkdf2Sync(
      'pencil',
      Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
      4096,
      32,
      'sha256',
    );
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const authMessage = `n=user,r=rOprNGfwEbeRWgbNEkqO,${serverFirst},${withoutProof}`;
    const signature = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64');
    expect(final).toBe(`${withoutProof},p=${proof}`);
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    const v = createHmac('sha256', serverKey).update(authMessage).digest('base64');
    expect(plus.respond(te.encode(`v=${v}`))).toHaveLength(0);
    expect(() => plus.complete()).not.toThrow();
  });

  it('RFC 5802 §6: a client that could bind but sees no -PLUS sends "y" (c=eSws)', () => {
    const scram = createScramSha256Client(
      { user: 'user', pass: 'pencil' },
      { nonce: 'abc', couldBind: true },
    );
    expect(td.decode(scram.initialResponse())).toBe('y,,n=user,r=abc');
    const final = td.decode(scram.respond(te.encode('r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')));
    expect(final.startsWith('c=eSws,r=abcdef,p=')).toBe(true);
  });

  it('-PLUS is chosen first, but only where the connection can be bound', () => {
    const offered = ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256', 'PLAIN'];
    const creds = { user: 'u', pass: 'p' };
    expect(chooseMechanism(offered, creds, undefined, true)).toBe('SCRAM-SHA-256-PLUS');
    expect(chooseMechanism(offered, creds, undefined, false)).toBe('SCRAM-SHA-256');
    expect(() => chooseMechanism(offered, creds, 'SCRAM-SHA-256-PLUS', false)).toThrow(/TLS 1\.3/);
    expect(chooseMechanism(offered, creds, 'SCRAM-SHA-256', true)).toBe('SCRAM-SHA-256');
  });

  it('RFC 5802 §5.1: a server nonce that does not extend ours is refused', () => {
    const scram = createScramSha256Client({ user: 'user', pass: 'pencil' }, { nonce: 'abc' });
    expect(() => scram.respond(te.encode('r=xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'))).toThrow(RangeError);
  });

  it('RFC 2195 §2 CRAM-MD5 example', () => {
    const cram = createCramMd5Client({ user: 'tim', pass: 'tanstaaftanstaaf' });
    expect(cram.initialResponse()).toBeUndefined();
    expect(td.decode(cram.respond(te.encode('<1896.697170952@postoffice.reston.mci.net>')))).toBe(
      'tim b913a602c7eda7a495b4e6e7334d3890',
    );
  });

  it('RFC 4616 §2 PLAIN initial response', () => {
    expect(td.decode(createPlainClient({ user: 'tim', pass: 'tanstaaf' }).initialResponse())).toBe(
      '\0tim\0tanstaaf',
    );
  });

  it('LOGIN answers username then password', () => {
    const login = createLoginClient({ user: 'tim', pass: 'secret' });
    expect(td.decode(login.respond(te.encode('Username:')))).toBe('tim');
    expect(td.decode(login.respond(te.encode('Password:')))).toBe('secret');
    expect(() => login.respond(te.encode('More:'))).toThrow();
  });

  it('XOAUTH2 initial response format', () => {
    const x = createXoauth2Client('someuser@example.com', 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg');
    expect(Buffer.from(x.initialResponse() ?? new Uint8Array()).toString('base64')).toBe(
      'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==',
    );
  });
});
