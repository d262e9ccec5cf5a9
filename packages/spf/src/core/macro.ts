/**
 * RFC 7208 §7 macros: parsing a `macro-string` into tokens once (at record-parse time, so a
 * malformed macro anywhere is a syntax error, §4.6) and expanding it per evaluation.
 * Expansion is bounded: a value is cut to {@link MAX_MACRO_EXPANSION} characters, so no record
 * can make one term build an unbounded string.
 */

/** A `%{...}` macro: letter, optional right-hand part count, reversal and delimiters (§7.1). */
export interface MacroExpand {
  readonly letter: MacroLetter;
  /** An upper-case letter asks for URL-escaping of the value (§7.3). */
  readonly escape: boolean;
  /** Keep only this many right-hand parts (§7.3); absent keeps all. */
  readonly digits?: number;
  readonly reverse: boolean;
  /** Characters to split on; `.` when none were given (§7.3). */
  readonly delimiters: string;
}

/** One token of a parsed macro-string: literal text or a macro to expand. */
export type MacroToken = string | MacroExpand;

/** Macro letters (§7.2); `c`, `r`, `t` only inside explanation strings. */
export type MacroLetter = 's' | 'l' | 'o' | 'd' | 'i' | 'p' | 'v' | 'h' | 'c' | 'r' | 't';

/** A parsed macro-string. */
export interface MacroString {
  readonly tokens: readonly MacroToken[];
  /** Whether expansion needs `%{p}` (a PTR walk), so the evaluator can resolve it first. */
  readonly usesP: boolean;
  /** The source text, as written in the record. */
  readonly text: string;
}

/** Longest expansion of one macro-string, in characters; longer values are cut. */
export const MAX_MACRO_EXPANSION = 8192;

/** RFC 7208 §7.3: the parts count is at most the number of labels a name can have. */
const MAX_DIGITS = 128;

const RECORD_LETTERS = 'slodipvh';
const EXPLANATION_LETTERS = 'slodipvhcrt';
const DELIMITERS = '.-+,/_=';

/** Parse failure: the reason, for the result's `problems`. */
export interface MacroSyntaxError {
  readonly error: string;
}

/**
 * Parses a macro-string (§7.1). `explanation` allows spaces and the `c`, `r`, `t` letters
 * (`explain-string`, §6.2). Literal characters are visible ASCII except `%` (`macro-literal`).
 */
export function parseMacroString(text: string, explanation = false): MacroString | MacroSyntaxError {
  const tokens: MacroToken[] = [];
  const letters = explanation ? EXPLANATION_LETTERS : RECORD_LETTERS;
  let literal = '';
  let usesP = false;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code !== 0x25) {
      if (code > 0x7e || code < 0x21) {
        if (!(explanation && code === 0x20)) {
          return { error: `invalid character U+${code.toString(16).padStart(4, '0')} in "${text}"` };
        }
      }
      literal += text[i];
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '%') literal += '%';
    else if (next === '_') literal += ' ';
    else if (next === '-') literal += '%20';
    else if (next === '{') {
      const close = text.indexOf('}', i + 2);
      if (close < 0) return { error: `unterminated macro in "${text}"` };
      const body = text.slice(i + 2, close);
      const macro = parseMacroBody(body, letters);
      if (typeof macro === 'string') return { error: `${macro} in "${text}"` };
      if (literal) tokens.push(literal);
      literal = '';
      tokens.push(macro);
      if (macro.letter === 'p') usesP = true;
      i = close + 1;
      continue;
    } else return { error: `invalid "%" escape in "${text}"` };
    i += 2;
  }
  if (literal) tokens.push(literal);
  return { tokens, usesP, text };
}

function parseMacroBody(body: string, letters: string): MacroExpand | string {
  const first = body[0];
  if (first === undefined) return 'empty macro';
  const lower = first.toLowerCase();
  if (!letters.includes(lower) || !/[a-z]/i.test(first)) return `invalid macro letter "${first}"`;
  let i = 1;
  let digitsText = '';
  while (i < body.length && body[i]! >= '0' && body[i]! <= '9') digitsText += body[i++];
  let reverse = false;
  if (body[i] === 'r' || body[i] === 'R') {
    reverse = true;
    i++;
  }
  let delimiters = '';
  for (; i < body.length; i++) {
    if (!DELIMITERS.includes(body[i]!)) return `invalid macro delimiter "${body[i]}"`;
    if (!delimiters.includes(body[i]!)) delimiters += body[i];
  }
  let digits: number | undefined;
  if (digitsText) {
    // §7.3: "If a DIGIT is specified, the value MUST be nonzero."
    const n = digitsText.length > 4 ? MAX_DIGITS : Number(digitsText);
    if (n === 0) return 'zero macro digit transformer';
    digits = Math.min(n, MAX_DIGITS);
  }
  return {
    letter: lower as MacroLetter,
    escape: first !== lower,
    ...(digits === undefined ? {} : { digits }),
    reverse,
    delimiters: delimiters || '.',
  };
}

/** The values macros expand to, computed by the evaluator. */
export type MacroValues = (letter: MacroLetter) => string;

/** Expands parsed tokens (§7.3 transformers, §7.3 URL-escaping), cut to {@link MAX_MACRO_EXPANSION}. */
export function expandMacroString(macro: MacroString, values: MacroValues): string {
  let out = '';
  for (const token of macro.tokens) {
    out += typeof token === 'string' ? token : expandOne(token, values(token.letter));
    if (out.length > MAX_MACRO_EXPANSION) return out.slice(0, MAX_MACRO_EXPANSION);
  }
  return out;
}

function expandOne(macro: MacroExpand, value: string): string {
  if (macro.digits !== undefined || macro.reverse || macro.delimiters !== '.') {
    let parts = splitOn(value, macro.delimiters);
    if (macro.reverse) parts.reverse();
    if (macro.digits !== undefined && macro.digits < parts.length) parts = parts.slice(-macro.digits);
    value = parts.join('.');
  }
  return macro.escape ? urlEscape(value) : value;
}

function splitOn(value: string, delimiters: string): string[] {
  if (delimiters.length === 1) return value.split(delimiters);
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    if (delimiters.includes(value[i]!)) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts;
}

const UNRESERVED = /^[A-Za-z0-9._~-]$/;

/** §7.3: upper-case macros are URL-escaped: everything but RFC 3986 `unreserved` as `%XX` of UTF-8. */
export function urlEscape(value: string): string {
  let out = '';
  for (const ch of value) {
    if (UNRESERVED.test(ch)) out += ch;
    else
      for (const byte of new TextEncoder().encode(ch))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Whether a parse result is an error. */
export function isMacroSyntaxError(value: MacroString | MacroSyntaxError): value is MacroSyntaxError {
  return 'error' in value;
}
