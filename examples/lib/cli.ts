// Argument parsing for the example CLIs: node:util parseArgs, `--help`, and errors that say
// what was wrong and show the usage (exit code 2), never a stack trace.

/** Prints `message` and the usage to stderr and exits with code 2. */
export function usageError(usage: string, message: string): never {
  console.error(`error: ${message}\n\n${usage}`);
  process.exit(2);
}

/**
 * Runs `parse` (a `parseArgs` call that declares `help: { type: 'boolean', short: 'h' }`):
 * a parse error becomes a usage error, `--help` prints the usage and exits 0.
 */
export function parseCli<R extends { readonly values: { readonly help?: boolean | undefined } }>(
  usage: string,
  parse: () => R,
): R {
  let parsed: R;
  try {
    parsed = parse();
  } catch (error) {
    return usageError(usage, error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed;
}

/** The value of a required option, or a usage error naming it. */
export function required<V>(usage: string, name: string, value: V | undefined): V {
  if (value === undefined || value === '') return usageError(usage, `--${name} is required`);
  return value;
}
