/** RFC 6376 §3.2 tag=value lists (DKIM-Signature fields and key records). */

/** A parsed tag list, or why it is malformed. */
export type TagListResult =
  | { readonly ok: true; readonly tags: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly reason: string };

const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const FWS_EDGES = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/**
 * Parses `tag-list = tag-spec *( ";" tag-spec ) [ ";" ]`. Values keep inner folding
 * whitespace (callers strip it where the grammar allows, e.g. base64 in b=/bh=/p=).
 * A duplicated tag makes the list invalid (§3.2: "MUST be treated as an error").
 */
export function parseTagList(text: string): TagListResult {
  const tags = new Map<string, string>();
  const specs = text.split(';');
  for (let index = 0; index < specs.length; index++) {
    const spec = specs[index];
    if (spec.replace(FWS_EDGES, '') === '') {
      if (index === specs.length - 1 || (index === 0 && specs.length === 1)) continue;
      return { ok: false, reason: 'empty tag-spec' };
    }
    const eq = spec.indexOf('=');
    if (eq === -1) return { ok: false, reason: `tag-spec without "=": ${spec.trim()}` };
    const name = spec.slice(0, eq).replace(FWS_EDGES, '');
    if (!TAG_NAME.test(name)) return { ok: false, reason: `invalid tag name: ${name}` };
    if (tags.has(name)) return { ok: false, reason: `duplicate tag: ${name}` };
    tags.set(name, spec.slice(eq + 1).replace(FWS_EDGES, ''));
  }
  return { ok: true, tags };
}

/** Removes all folding whitespace (for base64 values and colon lists). */
export function stripFws(value: string): string {
  return value.replace(/[ \t\r\n]+/g, '');
}
