import { describe, expect, it } from 'vitest';
import { assembleModule, EMBEDDED_MODULES, embeddedModule } from '../../../scripts/build-wasm.mjs';

// The WebAssembly module is embedded as base64 so the package needs no build step or file
// loading at run time; its source is body-scan-simd.wat. This keeps the two from drifting:
// after editing the .wat, run `node scripts/build-wasm.mjs`.
describe('body-scan-simd.wat is the source of the embedded module', () => {
  it('assembling the .wat with wabt gives exactly the MODULE in body-scan-simd.ts', async () => {
    const entry = EMBEDDED_MODULES.find((m) => m.wat.pathname.endsWith('dkim/src/core/body-scan-simd.wat'));
    expect(entry).toBeDefined();
    expect(embeddedModule(entry!.ts)).toBe(await assembleModule(entry!.wat));
  });
});
