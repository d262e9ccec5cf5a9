// Assembles src/core/body-scan-simd.wat (the source of the body canonicaliser's WebAssembly
// loops) with wabt and writes the module, base64, into the MODULE constant of
// src/core/body-scan-simd.ts. Run after editing the .wat:
//   node packages/dkim/scripts/build-wasm.mjs
// test/body-scan-simd-source.test.ts fails while the two disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import wabtInit from 'wabt';

const core = new URL('../src/core/', import.meta.url);

/** The module assembled from the .wat source, base64. */
export async function assembleModule() {
  const wabt = await wabtInit();
  const wat = readFileSync(new URL('body-scan-simd.wat', core), 'utf8');
  const { buffer } = wabt.parseWat('body-scan-simd.wat', wat, { simd: true }).toBinary({});
  return Buffer.from(buffer).toString('base64');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = new URL('body-scan-simd.ts', core);
  const source = readFileSync(target, 'utf8');
  const updated = source.replace(/(const MODULE =\s*')[A-Za-z0-9+/=]+(')/, `$1${await assembleModule()}$2`);
  writeFileSync(target, updated);
  console.log(updated === source ? 'MODULE already up to date' : 'MODULE rewritten');
}
