/**
 * Splits a capture expression into tokens. Positions are 0-based offsets into
 * the expression as written, so issues can point a caret at them.
 *
 * Words are runs of letters, digits, `-` and `_`: all digits make a NUMBER,
 * `true`/`false`/`null` are literals, anything else is a WORD (a path step or
 * a bare string value). Strings are quoted with `"` or `'` and have no
 * escapes, as in nmpolicy. Any Unicode whitespace separates tokens, so
 * expressions folded by YAML (`>-`) or carrying a non-breaking space work.
 */

export type TokenKind =
  | "word"
  | "number"
  | "string"
  | "true"
  | "false"
  | "null"
  | "dot"
  | "eq"
  | "ne"
  | "replace"
  | "pipe"
  | "end";

export interface Token {
  kind: TokenKind;
  /** The word, the digits or the unquoted string content. */
  text: string;
  pos: number;
}

export interface LexFailure {
  message: string;
  pos: number;
  hint?: string;
}

export type LexResult = { ok: true; tokens: Token[] } | { ok: false; error: LexFailure };

const WORD_CHAR = /[A-Za-z0-9_-]/;
const WHITESPACE = /\s/;

export function lex(expression: string): LexResult {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const c = expression[i]!;
    if (WHITESPACE.test(c)) {
      i++;
      continue;
    }
    if (WORD_CHAR.test(c)) {
      const start = i;
      while (i < expression.length && WORD_CHAR.test(expression[i]!)) i++;
      const text = expression.slice(start, i);
      tokens.push({ kind: wordKind(text), text, pos: start });
      continue;
    }
    if (c === '"' || c === "'") {
      const close = expression.indexOf(c, i + 1);
      if (close === -1) {
        return fail(`unterminated string (missing closing ${c})`, i);
      }
      tokens.push({ kind: "string", text: expression.slice(i + 1, close), pos: i });
      i = close + 1;
      continue;
    }
    const next = expression[i + 1];
    if (c === "=" && next === "=") {
      tokens.push({ kind: "eq", text: "==", pos: i });
      i += 2;
    } else if (c === "!" && next === "=") {
      tokens.push({ kind: "ne", text: "!=", pos: i });
      i += 2;
    } else if (c === ":" && next === "=") {
      tokens.push({ kind: "replace", text: ":=", pos: i });
      i += 2;
    } else if (c === "|") {
      tokens.push({ kind: "pipe", text: "|", pos: i });
      i++;
    } else if (c === ".") {
      tokens.push({ kind: "dot", text: ".", pos: i });
      i++;
    } else if (c === "=" || c === ":") {
      return fail(`unexpected '${c}'`, i, "use '==' to filter or ':=' to replace");
    } else if (c === "!") {
      return fail("unexpected '!'", i, "use '!=' to filter out");
    } else {
      return fail(`unexpected character '${c}'`, i, 'quote string values, e.g. "0.0.0.0/0"');
    }
  }
  tokens.push({ kind: "end", text: "", pos: expression.length });
  return { ok: true, tokens };
}

function wordKind(text: string): TokenKind {
  if (/^[0-9]+$/.test(text)) return "number";
  if (text === "true" || text === "false" || text === "null") return text;
  return "word";
}

function fail(message: string, pos: number, hint?: string): LexResult {
  return { ok: false, error: hint === undefined ? { message, pos } : { message, pos, hint } };
}
