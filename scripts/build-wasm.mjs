// Assembles the WebAssembly sources (.wat) of the packages with wabt and writes each module,
// base64, into the MODULE constant of the TypeScript file beside it. Run after editing a .wat:
//   node scripts/build-wasm.mjs
// Each package has a test that fails while its .wat and MODULE disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import wabtInit from 'wabt';

/** Every embedded module: its source and the file holding `const MODULE = '<base64>'`. */
export const EMBEDDED_MODULES = [
  {
    wat: new URL('../packages/dkim/src/core/body-scan-simd.wat', import.meta.url),
    ts: new URL('../packages/dkim/src/core/body-scan-simd.ts', import.meta.url),
  },
  {
    wat: new URL('../packages/wire/src/body-scan-simd.wat', import.meta.url),
    ts: new URL('../packages/wire/src/body-scan-simd.ts', import.meta.url),
  },
];

/** The module assembled from a .wat source, base64. */
export async function assembleModule(watUrl) {
  const wabt = await wabtInit();
  const { buffer } = wabt
    .parseWat(watUrl.pathname, readFileSync(watUrl, 'utf8'), { simd: true })
    .toBinary({});
  return Buffer.from(buffer).toString('base64');
}

/** The base64 MODULE embedded in a TypeScript file. */
export function embeddedModule(tsUrl) {
  return /const MODULE =\s*'([A-Za-z0-9+/=]+)'/.exec(readFileSync(tsUrl, 'utf8'))?.[1];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const { wat, ts } of EMBEDDED_MODULES) {
    const source = readFileSync(ts, 'utf8');
    const updated = source.replace(
      /(const MODULE =\s*')[A-Za-z0-9+/=]*(')/,
      `$1${await assembleModule(wat)}$2`,
    );
    writeFileSync(ts, updated);
    console.log(`${ts.pathname}: ${updated === source ? 'MODULE already up to date' : 'MODULE rewritten'}`);
  }
}
