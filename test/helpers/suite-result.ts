/** What a suite reports to the runner (test/run.ts): its counts, duration and notes for the summary. */
export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  cancelled: number;
}

export interface SuiteResult extends Counts {
  name: string;
  seconds: number;
  notes: string[];
}
