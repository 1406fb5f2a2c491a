/**
 * Stops nodenet from fighting another actor: drift is corrected at once, but
 * when it recurs more than `limit` times within `windowMs` something keeps
 * changing the host back, and re-applying would only flap. Then corrections
 * stop and the enactment says so, until the policy changes or the window
 * passes quietly.
 */
export class DriftGuard {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly corrections: number[] = [];

  constructor(limit = 3, windowMs = 5 * 60_000) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Whether another correction is allowed now; records it when it is. */
  tryCorrect(now: number): boolean {
    while (this.corrections.length && now - this.corrections[0]! > this.windowMs) this.corrections.shift();
    if (this.corrections.length >= this.limit) return false;
    this.corrections.push(now);
    return true;
  }

  get recent(): number {
    return this.corrections.length;
  }

  reset(): void {
    this.corrections.length = 0;
  }
}
