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
