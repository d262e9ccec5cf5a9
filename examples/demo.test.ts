// Runs `npm run demo` as a newcomer would (from source, nothing built) and checks that it
// exits 0 and that the trace shows each stage the README promises.
import { describe, expect, it } from 'vitest';
import { runExample } from './lib/run-example';

describe('npm run demo (examples/demo.ts)', () => {
  it('exits 0 after greylisting, a retry from the queue, a DSN and spf=pass dkim=pass', async () => {
    const { code, output } = await runExample(['examples/demo.ts']);
    expect(output).toMatch(/without AUTH: 530 5\.7\.0/);
    expect(output).toMatch(/STARTTLS to .* TLSv1\.[23]/);
    expect(output).toMatch(/RCPT TO:<bob@example\.org> greylisted \(451 4\.7\.1\)/);
    expect(output).toMatch(/bob@example\.org: delivered 2\.0\.0/);
    expect(output).toMatch(/nobody@example\.org: failed 5\.1\.1/);
    expect(output).toMatch(/alice got a DSN: nobody@example\.org failed 5\.1\.1/);
    expect(output).toMatch(/spf=pass smtp\.mailfrom=alice@example\.com/);
    expect(output).toMatch(/dkim=pass header\.d=example\.com/);
    expect(output).toMatch(/all checks passed/);
    expect(code, output).toBe(0);
  });
});
