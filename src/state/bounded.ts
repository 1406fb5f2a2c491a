/**
 * One way to put a list of problems (verification mismatches, probe failures,
 * validation issues) into a single message: the first few in full, then a
 * count of the rest ("…and 997 more"). An error line, a condition message and
 * an Event note stay short however many interfaces fail; the whole list
 * travels beside the message (`NodenetError.details`) for `--json` output.
 */
export const SHOWN_IN_MESSAGE = 3;

export function boundedList(items: readonly string[], options: { max?: number; separator?: string } = {}): string {
  const max = options.max ?? SHOWN_IN_MESSAGE;
  const separator = options.separator ?? "; ";
  if (items.length <= max) return items.join(separator);
  return `${items.slice(0, max).join(separator)}${separator}…and ${items.length - max} more`;
}

/**
 * How much of a failure's detail list an enactment's status carries
 * (`status.failureDetails`): every item up to these limits, so a status stays
 * far below the API server's object size limit (about 1.5 MiB in etcd) however
 * many interfaces fail. An item longer than `maxItemBytes` is cut ("…"); past
 * `maxItems` or `maxBytes` the list ends with "…and N more".
 */
export const STATUS_DETAIL_LIMITS = { maxItems: 1000, maxItemBytes: 512, maxBytes: 64 * 1024 } as const;

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

function cut(item: string, maxBytes: number): string {
  if (bytes(item) <= maxBytes) return item;
  let out = item.slice(0, maxBytes);
  while (bytes(out) + bytes("…") > maxBytes) out = out.slice(0, -1);
  return `${out}…`;
}

export function boundedDetails(items: readonly string[], limits: { maxItems: number; maxItemBytes: number; maxBytes: number } = STATUS_DETAIL_LIMITS): string[] {
  const out: string[] = [];
  // Room for the closing "…and N more" line, should it be needed.
  const tail = bytes(`…and ${items.length} more`);
  let total = 0;
  for (const [i, item] of items.entries()) {
    const shown = cut(item, limits.maxItemBytes);
    const last = i === items.length - 1;
    const fits = total + bytes(shown) <= limits.maxBytes - (last ? 0 : tail) && out.length < limits.maxItems - (last ? 0 : 1);
    if (!fits) {
      out.push(`…and ${items.length - i} more`);
      return out;
    }
    out.push(shown);
    total += bytes(shown);
  }
  return out;
}
