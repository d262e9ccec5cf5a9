import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import wabtInit from 'wabt';

// The WebAssembly module is embedded as base64 so the package needs no build step or file
// loading at run time; its source is body-scan-simd.wat. This keeps the two from drifting:
// after editing the .wat, run `node packages/dkim/scripts/build-wasm.mjs`.
describe('body-scan-simd.wat is the source of the embedded module', () => {
  it('assembling the .wat with wabt gives exactly the MODULE in body-scan-simd.ts', async () => {
    const core = new URL('../src/core/', import.meta.url);
    const wat = readFileSync(new URL('body-scan-simd.wat', core), 'utf8');
    const embedded = /const MODULE =\s*'([A-Za-z0-9+/=]+)'/.exec(
      readFileSync(new URL('body-scan-simd.ts', core), 'utf8'),
    )?.[1];
    const wabt = await wabtInit();
    const { buffer } = wabt.parseWat('body-scan-simd.wat', wat, { simd: true }).toBinary({});
    expect(embedded).toBe(Buffer.from(buffer).toString('base64'));
  });
});
