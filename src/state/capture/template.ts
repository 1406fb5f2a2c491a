/**
 * Fills `"{{ capture.NAME.path }}"` templates in a desired state.
 *
 * A template is a whole string value (surrounding whitespace allowed) and is
 * replaced by the value it refers to, whatever its type: object, list,
 * string, number, boolean. As in nmpolicy, a template cannot be embedded in a
 * longer string; a string that mixes text with `{{ capture.… }}` is reported
 * rather than silently left as is. Other strings, `{{` included, are kept.
 *
 * The input is not modified, and the output shares no objects with the
 * captured states (a later normalisation of the desired state must not
 * change what gets stored as captured).
 */
import { CaptureError, withHint, type CaptureIssue } from "./issue.ts";
import { clone, isObject } from "./json.ts";
import { parseReference } from "./parser.ts";
import { resolveReference } from "./reference.ts";

const WHOLE = /^(\s*\{\{)([\s\S]*)\}\}\s*$/;
const EMBEDDED = /\{\{\s*capture\s*\./;

/**
 * `expressions`, when given, are the policy's capture expressions; a failure
 * caused by a capture that matched nothing then quotes the expression.
 */
export function renderTemplates(desiredState: unknown, captured: Record<string, unknown>, expressions?: Record<string, string>): unknown {
  const issues: CaptureIssue[] = [];
  const states = new Map(Object.entries(captured));
  const render = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === "string") return renderString(value, path, states, expressions, issues);
    if (Array.isArray(value)) return value.map((item, i) => render(item, [...path, i]));
    if (isObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = render(item, [...path, key]);
      return out;
    }
    return value;
  };
  const rendered = render(desiredState, []);
  if (issues.length > 0) throw new CaptureError(issues);
  return rendered;
}

function renderString(
  text: string,
  path: (string | number)[],
  states: ReadonlyMap<string, unknown>,
  expressions: Record<string, string> | undefined,
  issues: CaptureIssue[],
): unknown {
  const whole = WHOLE.exec(text);
  const inner = whole?.[2];
  if (whole === null || inner === undefined || inner.includes("{{") || inner.includes("}}")) {
    const embedded = EMBEDDED.exec(text);
    if (embedded !== null) {
      issues.push({
        code: "embedded-template",
        path,
        message: "a capture reference cannot be combined with other text",
        hint: 'the whole value must be the reference, e.g. "{{ capture.NAME.path }}"',
        position: embedded.index,
        expression: text,
      });
    }
    return text;
  }
  const offset = whole[1]!.length;
  const parsed = parseReference(inner);
  if (!parsed.ok) {
    const { message, pos, hint } = parsed.error;
    issues.push(withHint({ code: "syntax", path, message, position: offset + pos, expression: text }, hint));
    return text;
  }
  const resolved = resolveReference(parsed.value, states);
  if (!resolved.ok) {
    const source = expressions?.[parsed.value.capture];
    const hint = resolved.nothingCaptured && source !== undefined ? `its expression: ${source.trim()}` : resolved.hint;
    const issue = { code: resolved.code, path, capture: parsed.value.capture, message: resolved.message, position: offset + resolved.pos, expression: text };
    issues.push(withHint(issue, hint));
    return text;
  }
  return clone(resolved.value);
}
