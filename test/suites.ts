/**
 * The test suites, in the order `npm test` runs them. Unit tests sit beside
 * the code (src/**\/*.test.ts); tests that need root, namespaces, the UML
 * kernel or a control plane live under test/.
 */
export interface Suite {
  name: string;
  patterns: string[];
  /** Files run at once; namespace tests are independent, so they may overlap. */
  concurrency: number;
  timeoutMs: number;
  default: boolean;
  /** "none" runs all files in one process (inside UML, where every process start costs a second). */
  isolation?: "none" | "process";
  /** A suite with its own way of running (e.g. inside the UML kernel). */
  runner?: () => Promise<{ name: string; passed: number; failed: number; skipped: number; cancelled: number; seconds: number; notes: string[] }>;
}

import { runUmlSuite } from "./uml/suite.ts";

export const SUITES: Suite[] = [
  { name: "typecheck", patterns: [], concurrency: 1, timeoutMs: 0, default: true },
  { name: "unit", patterns: ["src/**/*.test.ts"], concurrency: 2, timeoutMs: 120_000, default: true },
  { name: "kernel", patterns: ["test/kernel/**/*.test.ts"], concurrency: 4, timeoutMs: 600_000, default: true },
  /** Thousands of interfaces: alone, because it holds the kernel's locks long enough to stall other tests' DHCP. */
  { name: "scale", patterns: ["test/scale/**/*.test.ts"], concurrency: 1, timeoutMs: 600_000, default: true },
  /** The lab's simulated network (namespaces, dnsmasq, forwarders; no API server). */
  { name: "lab-network", patterns: ["test/lab/network*.test.ts"], concurrency: 2, timeoutMs: 600_000, default: true },
  /** What real pods need: the OCI image scripts/image/build.sh builds without Docker (cold: minutes; cached by content hash) and the kubelet. */
  { name: "image", patterns: ["test/image/**/*.test.ts"], concurrency: 1, timeoutMs: 900_000, default: true },
  { name: "uml", patterns: [], concurrency: 1, timeoutMs: 0, default: true, runner: runUmlSuite },
  /** Against a real kube-apiserver: one lab control plane for all files (test/cluster/suite.ts). */
  { name: "cluster", patterns: ["test/cluster/**/*.test.ts"], concurrency: 1, timeoutMs: 600_000, default: true, runner: async () => (await import("./cluster/suite.ts")).runClusterSuite() },
  /** Lab nodes with real handlers and the controller: each file runs its own 3-node lab, one file at a time. */
  { name: "nodes", patterns: ["test/nodes/**/*.test.ts"], concurrency: 1, timeoutMs: 900_000, default: true },
  /** The web dashboard in headless Chromium (Debian's chromium) against one 3-node lab. */
  { name: "dashboard", patterns: ["test/dashboard/**/*.test.ts"], concurrency: 1, timeoutMs: 600_000, default: true },
  /** nodenet on real pods: one 3-node lab of kubelets and containerd running deploy/'s handler DaemonSet from the built image. */
  { name: "pods", patterns: ["test/pods/**/*.test.ts"], concurrency: 1, timeoutMs: 1_500_000, default: true },
  /** What runs inside the UML guest (selected by `--inside-uml`). */
  { name: "uml-guest", patterns: ["test/uml-suite/**/*.test.ts"], concurrency: 1, timeoutMs: 900_000, default: false, isolation: "none" },
];
