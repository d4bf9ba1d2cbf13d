/**
 * Reading text files as DVC's readers do, refusing what they refuse:
 *
 *   decodeUtf8(buf, shown)   // Python's strict 'utf-8' codec: invalid bytes are an error, not U+FFFD
 *   readUtf8(abs, shown)     // the same from a file (fs errors pass through untouched)
 *   yamlSource(text, shown)  // ruamel.yaml's reader: refuses NUL and the other non-printable
 *                            //   characters, and treats a lone CR, NEL, LS and PS as line breaks
 *                            //   (the `yaml` package keeps them inside scalars and keys)
 *   jsonSource(text, shown)  // Python's json: refuses raw control characters (JSON text is
 *                            //   parsed by the YAML parser, which would accept them)
 *
 * Every error is an InvalidFileError naming the file, one line.
 */
import { readFileSync } from 'node:fs';
import { InvalidFileError } from '../errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Offset and reason of the first byte Python's utf-8 codec rejects. */
function firstBadByte(b: Uint8Array): { pos: number; why: string } {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) (n = 1), (min = 0x80);
    else if (c >= 0xe0 && c <= 0xef) (n = 2), (min = 0x800);
    else if (c >= 0xf0 && c <= 0xf4) (n = 3), (min = 0x10000);
    else return { pos: i, why: 'invalid start byte' };
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined) return { pos: i, why: 'unexpected end of data' };
      if ((d & 0xc0) !== 0x80) return { pos: i, why: 'invalid continuation byte' };
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return { pos: i, why: 'invalid continuation byte' };
    i += n + 1;
  }
  return { pos: b.length, why: 'unexpected end of data' };
}

/** Strict UTF-8 text of `buf`; InvalidFileError naming `shown` and the first bad byte otherwise. */
export function decodeUtf8(buf: Uint8Array, shown: string): string {
  try {
    return decoder.decode(buf);
  } catch {
    const { pos, why } = firstBadByte(buf);
    const byte = (buf[pos] ?? 0).toString(16).padStart(2, '0');
    throw new InvalidFileError(`'${shown}' is not valid UTF-8: 'utf-8' codec can't decode byte 0x${byte} in position ${pos}: ${why}`);
  }
}

/** A file's text, strictly decoded. Errors reading the file (ENOENT...) are thrown as they are. */
export function readUtf8(abs: string, shown: string): string {
  return decodeUtf8(readFileSync(abs), shown);
}

// ruamel.yaml's Reader.NON_PRINTABLE.
const NON_PRINTABLE = /[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
// ruamel's scanner breaks lines at these besides LF and CRLF.
const OTHER_BREAKS = /\r(?!\n)|[\x85\u2028\u2029]/g;

/** Line and column (1-based) of offset `i`. */
function position(text: string, i: number): { line: number; col: number } {
  const before = text.slice(0, i);
  const line = before.split(/\r\n|\r|\n|\x85|\u2028|\u2029/).length;
  const col = i - Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r'));
  return { line, col };
}

// What json.loads refuses raw, in strings or between tokens (JSON whitespace is tab, LF, CR, space).
const JSON_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f]/;

/** JSON text as Python's json reads it: InvalidFileError for a raw control character. */
export function jsonSource(text: string, shown: string): string {
  const m = JSON_CONTROL.exec(text);
  if (m) {
    const { line, col } = position(text, m.index);
    const code = m[0].charCodeAt(0).toString(16).padStart(4, '0');
    throw new InvalidFileError(`'${shown}' is invalid: invalid control character #x${code} at line ${line}, column ${col}`);
  }
  // A lone CR is whitespace to json; the YAML parser would keep it inside a plain scalar.
  return text.replace(/\r(?!\n)/g, '\n');
}

/**
 * YAML text as ruamel.yaml reads it: InvalidFileError for a non-printable character (with its
 * line and column); other line breaks turned into LF so the parser sees the lines ruamel sees.
 */
export function yamlSource(text: string, shown: string): string {
  const m = NON_PRINTABLE.exec(text);
  if (m) {
    const { line, col } = position(text, m.index);
    const code = m[0].codePointAt(0)!.toString(16).padStart(4, '0');
    throw new InvalidFileError(`'${shown}' is invalid: unacceptable character #x${code} at line ${line}, column ${col}: special characters are not allowed`);
  }
  return text.replace(OTHER_BREAKS, '\n');
}
