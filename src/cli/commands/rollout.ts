/**
 * `nodenet rollout status POLICY` (also `kubectl nodenet rollout status`):
 * follows a policy's rollout across its nodes until it ends. Exit status 0
 * when the policy is Available, 1 when Degraded (each failed node's message
 * printed), 2 when it does not exist, 3 on --timeout.
 */
import type { Command } from "commander";
import { NodenetError } from "../../errors.ts";
import { err, out, positiveSeconds } from "../io.ts";

export function registerRollout(program: Command): void {
  const rollout = program.command("rollout").description("follow policy rollouts (cluster)");
  rollout
    .command("status")
    .description("follow a policy's rollout until it is Available (exit 0) or Degraded (exit 1)")
    .argument("<policy>", "NodeNetworkConfigurationPolicy name")
    .option("--kubeconfig <path>", "kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
    .option("--timeout <seconds>", "give up after this long (exit 3)", positiveSeconds("--timeout"), 600)
    .addHelpText("after", "\nExample:\n  kubectl apply -f bridge.yaml && nodenet rollout status bridge-on-eth1")
    .action(async (policyName: string, flags: { kubeconfig?: string; timeout: number }) => {
      const { followRollout } = await import("../../cluster/rollout-status.ts");
      const { connect } = await import("../../cluster/kube/config.ts");
      const result = await followRollout(connect(flags.kubeconfig), policyName, {
        timeoutMs: flags.timeout * 1000,
        tty: Boolean(process.stdout.isTTY),
        write: (line) => process.stdout.write(line),
      });
      switch (result.kind) {
        case "available":
          out(result.message);
          return;
        case "degraded":
          err(`policy ${policyName} is Degraded: ${result.message}`);
          for (const f of result.failures) err(`  ${f.node}: ${f.phase}: ${f.message}`);
          process.exitCode = 1;
          return;
        case "missing":
          throw new NodenetError("invalid-input", `no NodeNetworkConfigurationPolicy ${policyName}`);
        case "timeout":
          err(`still not done after ${flags.timeout}s: ${result.message}`);
          process.exitCode = 3;
      }
    });
}
