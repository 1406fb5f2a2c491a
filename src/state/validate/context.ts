import type { Issue, IssuePath } from "../issues.ts";
import type { MergedState } from "../merge/index.ts";
import type { Interface } from "../schema/interface.ts";
import type { NetworkState } from "../schema/state.ts";

export interface ValidateOptions {
  /** Two addresses of one subnet on one interface are normally a warning; this silences it. */
  allowSameSubnet?: boolean;
}

/** What every rule gets: the declared state, the host's state, their merge and a place to report. */
export interface RuleContext {
  desired: NetworkState;
  current: NetworkState;
  merged: MergedState;
  options: ValidateOptions;
  report(issue: Issue): void;
  /** Path of a desired interface by name (its first declaration). */
  pathOf(name: string): IssuePath;
  currentByName: Map<string, Interface>;
  /** The interface as it will be after the change (undefined if it will not exist). */
  target(name: string): Interface | undefined;
}

export type Rule = (ctx: RuleContext) => void;
