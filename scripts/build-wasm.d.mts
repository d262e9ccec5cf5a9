/** Types of scripts/build-wasm.mjs, for the tests that check each .wat against its MODULE. */
export interface EmbeddedModule {
  /** The WebAssembly text source. */
  readonly wat: URL;
  /** The TypeScript file holding `const MODULE = '<base64>'`. */
  readonly ts: URL;
}
export const EMBEDDED_MODULES: readonly EmbeddedModule[];
/** The module assembled from a .wat source, base64. */
export function assembleModule(watUrl: URL): Promise<string>;
/** The base64 MODULE embedded in a TypeScript file. */
export function embeddedModule(tsUrl: URL): string | undefined;
