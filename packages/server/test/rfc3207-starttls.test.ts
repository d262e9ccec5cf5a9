import { describe, expect, it } from 'vitest';
import { codes, Harness } from './support/harness';

describe('RFC 3207 STARTTLS (core)', () => {
  it('§4.2 / CVE-2011-0411: commands pipelined after STARTTLS are discarded, not executed', () => {
    const h = new Harness({ tlsAvailable: true });
    h.start();
    h.send('EHLO c\r\nMAIL FROM:<a@example.org>\r\nRSET\r\n');
    const before = h.calls.length;
    expect(h.send('STARTTLS\r\nRSET\r\n')).toBe('220 2.0.0 Ready to start TLS\r\n');
    expect(h.tls).toBe(true);
    // Bytes that arrive before the handshake completes are dropped too.
    expect(h.send('MAIL FROM:<evil@example.org>\r\n')).toBe('');
    h.session.tlsEstablished();
    expect(h.calls.length).toBe(before);
    expect(h.drain()).toBe('');
    // The session starts over: EHLO first, and STARTTLS is no longer offered.
    expect(h.send('MAIL FROM:<a@example.org>\r\n')).toMatch(/^503 5\.5\.1 /);
    const ehlo = h.send('EHLO c\r\n');
    expect(ehlo).not.toContain('STARTTLS');
    expect(h.send('STARTTLS\r\n')).toMatch(/^503 5\.5\.1 /);
    expect(h.session.secure).toBe(true);
  });

  it('STARTTLS is not offered without certificates, nor when switched off', () => {
    const none = new Harness();
    none.start();
    expect(none.send('EHLO c\r\n')).not.toContain('STARTTLS');
    expect(codes(none.send('STARTTLS\r\n'))).toEqual([502]);
    const off = new Harness({ tlsAvailable: true, extensions: { startTls: false } });
    off.start();
    expect(off.send('EHLO c\r\n')).not.toContain('STARTTLS');
  });
});
