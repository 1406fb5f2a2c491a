/**
 * The webhook's failurePolicy (`--webhook-failure-policy`, the chart's
 * webhook.failurePolicy). Fail, the default: no policy goes in unchecked
 * while no controller replica answers. Ignore: such policies go in unchecked
 * (each handler still validates before it applies), for clusters that would
 * rather keep policy changes going. docs/adr/0005-admission-webhook-down.md.
 * No imports: the CLI parses the flag without loading the Kubernetes client.
 */
export const FAILURE_POLICIES = ["Fail", "Ignore"] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];
