/**
 * The capture expression grammar (nmpolicy's, plus `!=` and `null` from
 * nmstate, and numbers and bare words as values):
 *
 *   expression := [ "capture" "." NAME "|" ] body
 *   body       := path [ operator value ]
 *   operator   := "==" | "!=" | ":="
 *   value      := STRING | NUMBER | "true" | "false" | "null" | reference | WORD
 *   reference  := "capture" "." NAME { "." step }
 *   path       := step { "." step }          (the first step is a key)
 *   step       := WORD | NUMBER               (a NUMBER step indexes a list)
 *
 * A body path that starts with `capture.NAME` reads that capture instead of
 * the current state, so `capture.eths.interfaces.state == "up"` means
 * `capture.eths | interfaces.state == "up"`. A bare WORD value is a string
 * (`interfaces.state := down`), as nmstate accepts; a dotted value must be a
 * capture reference. There is one operator at most and one pipe at most.
 */
import { lex, type Token } from "./lexer.ts";

export interface Step {
  key: string | number;
  pos: number;
}

/** `capture.NAME.step.step…` */
export interface Reference {
  capture: string;
  /** Offset of NAME. */
  capturePos: number;
  steps: Step[];
}

export type Operand =
  | { kind: "literal"; value: string | number | boolean | null; pos: number }
  | { kind: "reference"; ref: Reference };

export type Operator = "eq" | "ne" | "replace";

export interface CaptureExpression {
  /** The capture read instead of the current state, if any. */
  input: { capture: string; pos: number } | undefined;
  /** Relative to the input; empty only for `capture.NAME` alone. */
  path: Step[];
  operation: { operator: Operator; pos: number; operand: Operand } | undefined;
}

export interface ParseFailure {
  message: string;
  pos: number;
  hint?: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ParseFailure };

export function parseCaptureExpression(source: string): ParseResult<CaptureExpression> {
  return run(source, (p) => p.expression());
}

/** A template reference, `capture.NAME.path`, and nothing else. */
export function parseReference(source: string): ParseResult<Reference> {
  return run(source, (p) => p.wholeReference());
}

/** Captures an expression reads, with where it names them. */
export function dependencies(expression: CaptureExpression): { capture: string; pos: number }[] {
  const out: { capture: string; pos: number }[] = [];
  if (expression.input) out.push(expression.input);
  const operand = expression.operation?.operand;
  if (operand?.kind === "reference") out.push({ capture: operand.ref.capture, pos: operand.ref.capturePos });
  return out;
}

class SyntaxFailure extends Error {
  readonly pos: number;
  readonly hint: string | undefined;

  constructor(message: string, pos: number, hint?: string) {
    super(message);
    this.pos = pos;
    this.hint = hint;
  }

  toFailure(): ParseFailure {
    return this.hint === undefined ? { message: this.message, pos: this.pos } : { message: this.message, pos: this.pos, hint: this.hint };
  }
}

function run<T>(source: string, parse: (p: Parser) => T): ParseResult<T> {
  const lexed = lex(source);
  if (!lexed.ok) return { ok: false, error: lexed.error };
  try {
    return { ok: true, value: parse(new Parser(lexed.tokens)) };
  } catch (error) {
    if (error instanceof SyntaxFailure) return { ok: false, error: error.toFailure() };
    throw error;
  }
}

const OPERATORS: Record<string, Operator> = { eq: "eq", ne: "ne", replace: "replace" };

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  expression(): CaptureExpression {
    if (this.peek().kind === "end") throw new SyntaxFailure("empty expression", 0);
    const first = this.path("a path such as interfaces.type or capture.NAME");
    let input: CaptureExpression["input"];
    let path: Step[];
    if (this.peek().kind === "pipe") {
      const pipe = this.next();
      input = pipedInput(first);
      if (this.peek().kind === "end") throw new SyntaxFailure("missing expression after '|'", pipe.pos);
      path = this.path("a path after '|', such as interfaces.state");
      if (path[0]!.key === "capture") {
        throw new SyntaxFailure(
          "after '|' the path is relative to the piped capture; drop the 'capture.NAME.' prefix",
          path[0]!.pos,
        );
      }
    } else if (first[0]!.key === "capture") {
      const ref = toReference(first);
      input = { capture: ref.capture, pos: ref.capturePos };
      path = ref.steps;
    } else {
      path = first;
    }

    const token = this.peek();
    const operator = OPERATORS[token.kind];
    if (operator === undefined) {
      // nmstate reads an expression without an operator as its first path
      // alone and ignores the words after it ("void: this capture will just
      // clone current"); only words may follow, so a mistyped operator still fails.
      if (!input && this.onlyWordsLeft()) this.skipToEnd();
      this.expectEnd("after the path", "expected '==', '!=', ':=', '|' or the end of the expression");
      return { input, path, operation: undefined };
    }
    this.next();
    if (path.length === 0) {
      throw new SyntaxFailure(`missing a path between 'capture.${input?.capture}' and '${token.text}'`, token.pos);
    }
    const operand = this.operand(token);
    this.expectEnd("after the value");
    return { input, path, operation: { operator, pos: token.pos, operand } };
  }

  private onlyWordsLeft(): boolean {
    const rest = this.tokens.slice(this.index);
    return rest.length > 1 && rest.every((t) => t.kind === "end" || t.kind === "word" || t.kind === "dot" || t.kind === "number");
  }

  private skipToEnd(): void {
    while (this.peek().kind !== "end") this.next();
  }

  wholeReference(): Reference {
    if (this.peek().kind === "end") throw new SyntaxFailure("empty reference (expected capture.NAME.path)", 0);
    const path = this.path("a reference such as capture.NAME.interfaces.0.name");
    if (path[0]!.key !== "capture") {
      throw new SyntaxFailure("a template can only refer to captured data: capture.NAME.path", path[0]!.pos);
    }
    const ref = toReference(path);
    const rest = this.peek();
    if (rest.kind !== "end") {
      throw new SyntaxFailure(`unexpected ${describe(rest)} after the reference`, rest.pos, "a template holds one capture.NAME.path and nothing else");
    }
    return ref;
  }

  private operand(operator: Token): Operand {
    const token = this.peek();
    switch (token.kind) {
      case "end":
        throw new SyntaxFailure(`missing value after '${operator.text}'`, operator.pos);
      case "string":
        this.next();
        return { kind: "literal", value: token.text, pos: token.pos };
      case "number":
        if (this.peekAt(1).kind === "dot") {
          throw new SyntaxFailure("unexpected '.' after a number", this.peekAt(1).pos, 'quote string values, e.g. "0.0.0.0/0"');
        }
        this.next();
        return { kind: "literal", value: Number(token.text), pos: token.pos };
      case "true":
      case "false":
      case "null":
        this.next();
        return { kind: "literal", value: token.kind === "null" ? null : token.kind === "true", pos: token.pos };
      case "word": {
        const path = this.path("a value");
        if (path[0]!.key === "capture") return { kind: "reference", ref: toReference(path) };
        if (path.length === 1) return { kind: "literal", value: token.text, pos: token.pos };
        throw new SyntaxFailure(
          "a path as a value must refer to a capture (capture.NAME.path)",
          token.pos,
          `quote it if it is a string: "${this.textOf(path)}"`,
        );
      }
      default:
        throw new SyntaxFailure(`expected a value after '${operator.text}', found '${token.text}'`, token.pos);
    }
  }

  private path(expected: string): Step[] {
    const first = this.peek();
    if (first.kind !== "word" && first.kind !== "true" && first.kind !== "false" && first.kind !== "null") {
      throw new SyntaxFailure(`expected ${expected}, found ${describe(first)}`, first.pos);
    }
    this.next();
    const steps: Step[] = [{ key: first.text, pos: first.pos }];
    while (this.peek().kind === "dot") {
      const dot = this.next();
      const step = this.peek();
      if (step.kind === "number") steps.push({ key: Number(step.text), pos: step.pos });
      else if (step.kind === "word" || step.kind === "true" || step.kind === "false" || step.kind === "null") {
        steps.push({ key: step.text, pos: step.pos });
      } else throw new SyntaxFailure(`expected a key or a list index after '.', found ${describe(step)}`, step.kind === "end" ? dot.pos : step.pos);
      this.next();
    }
    return steps;
  }

  private expectEnd(context: string, hint?: string): void {
    const token = this.peek();
    if (token.kind === "end") return;
    if (token.kind === "pipe") {
      throw new SyntaxFailure("only one '|' is allowed, and only a capture (capture.NAME) can be piped", token.pos);
    }
    if (OPERATORS[token.kind] !== undefined) {
      throw new SyntaxFailure(`only one operator is allowed; unexpected '${token.text}'`, token.pos);
    }
    throw new SyntaxFailure(`unexpected ${describe(token)} ${context}`, token.pos, hint);
  }

  private textOf(path: Step[]): string {
    return path.map((s) => String(s.key)).join(".");
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private peekAt(offset: number): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.tokens[this.index]!;
    if (token.kind !== "end") this.index++;
    return token;
  }
}

function pipedInput(left: Step[]): { capture: string; pos: number } {
  if (left[0]!.key !== "capture") {
    throw new SyntaxFailure("only a capture can be piped: write 'capture.NAME | …'", left[0]!.pos);
  }
  const ref = toReference(left);
  if (ref.steps.length > 0) {
    throw new SyntaxFailure(
      `the piped input must be a whole capture; move '${ref.steps.map((s) => s.key).join(".")}' after the '|'`,
      ref.steps[0]!.pos,
    );
  }
  return { capture: ref.capture, pos: ref.capturePos };
}

function toReference(path: Step[]): Reference {
  const name = path[1];
  if (name === undefined) {
    throw new SyntaxFailure("missing capture name after 'capture' (expected capture.NAME)", path[0]!.pos);
  }
  if (typeof name.key === "number") {
    throw new SyntaxFailure("a capture name cannot be a number", name.pos);
  }
  return { capture: name.key, capturePos: name.pos, steps: path.slice(2) };
}

function describe(token: Token): string {
  switch (token.kind) {
    case "end":
      return "the end of the expression";
    case "string":
      return `string "${token.text}"`;
    case "number":
      return `number ${token.text}`;
    default:
      return `'${token.text}'`;
  }
}
