import type { Command } from "commander";
import type { NetworkState } from "../../state/schema/state.ts";
import { globMatcher, out, toYaml } from "../io.ts";
import { kernelTarget, type TargetOptions } from "../target.ts";

/** Limits a state to the interfaces matching the patterns (and routes through them). */
export function filterState(state: NetworkState, patterns: readonly string[]): NetworkState {
  if (!patterns.length) return state;
  const match = globMatcher(patterns);
  const viaMatch = (r: { "next-hop-interface"?: string | undefined }) => r["next-hop-interface"] !== undefined && match(r["next-hop-interface"]);
  return {
    ...state,
    interfaces: (state.interfaces ?? []).filter((i) => match(i.name)),
    ...(state.routes ? { routes: { config: (state.routes.config ?? []).filter(viaMatch), running: (state.routes.running ?? []).filter(viaMatch) } } : {}),
  };
}

export function registerShow(program: Command): void {
  program
    .command("show")
    .description("print the network state of a host (or namespace) as nmstate YAML")
    .argument("[interface...]", "only interfaces matching these names or globs (eth*, br?)")
    .option("--netns <name>", "read the named network namespace instead of this host")
    .option("--json", "print JSON instead of YAML")
    .addHelpText(
      "after",
      `
The output is a valid desired state: edit it and give it to 'nodenet apply'.
It is deterministic (sorted, without address lifetimes), so two shows of an
unchanged host are byte-identical.

Examples:
  nodenet show --netns lab-node-1
  nodenet show --netns lab-node-1 'eth*' --json`,
    )
    .action(async (patterns: string[], options: TargetOptions & { json?: boolean }) => {
      const backend = kernelTarget(options);
      const { state } = await backend.read();
      const shown = filterState(state, patterns);
      out(options.json ? JSON.stringify(shown, null, 2) : toYaml(shown));
    });
}
