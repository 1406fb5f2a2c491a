/**
 * Headless Chromium (Debian's `chromium` package) driven over the Chrome
 * DevTools Protocol, through Node's built-in WebSocket: no browser-automation
 * library. One browser per test file; `close()` ends it and every process it
 * started, by PID, and removes its profile directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The browser itself (the /usr/bin/chromium wrapper is a shell script that would sit between us and its PID). */
const BINARY = "/usr/lib/chromium/chromium";
export const CHROMIUM_HINT = "headless Chromium is missing: run scripts/install.sh (it installs the Debian package chromium)";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  method: string;
}

/** Every process whose parent chain leads to `root` (chromium's zygotes, renderers, GPU and utility processes). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(entry), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) if (ppid === pid && !found.includes(child)) (found.push(child), walk(child));
  };
  walk(root);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export class Page {
  private readonly browser: Browser;
  readonly sessionId: string;

  constructor(browser: Browser, sessionId: string) {
    this.browser = browser;
    this.sessionId = sessionId;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    return this.browser.send(method, params, this.sessionId);
  }

  /** Evaluates `expression` in the page (awaiting a promise) and returns its value; a page exception fails. */
  async evaluate<T>(expression: string): Promise<T> {
    const result = (await this.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true })) as {
      result: { value?: unknown };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (result.exceptionDetails) throw new Error(`in the page: ${result.exceptionDetails.exception?.description ?? result.exceptionDetails.text}`);
    return result.result.value as T;
  }

  async goto(url: string): Promise<void> {
    await this.send("Page.navigate", { url });
    await this.waitFor("the page to load", 30_000, `document.readyState === "complete"`);
  }

  /** Polls `expression` until it is truthy, returning its value; fails naming `what` and the last value. */
  async waitFor<T>(what: string, timeoutMs: number, expression: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        last = await this.evaluate<unknown>(expression);
        if (last) return last as T;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await sleep(100);
    }
    throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what} (last: ${JSON.stringify(last)})`);
  }

  /** A PNG of the page, or of `clip` (CSS pixels). */
  async screenshot(file: string, clip?: { x: number; y: number; width: number; height: number }): Promise<void> {
    const { data } = (await this.send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true, ...(clip ? { clip: { ...clip, scale: 1 } } : {}) })) as { data: string };
    writeFileSync(file, Buffer.from(data, "base64"));
  }
}

export class Browser {
  private readonly child: ChildProcess;
  private readonly profile: string;
  private socket!: WebSocket;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Console errors and uncaught exceptions of the pages, for assertions. */
  readonly pageErrors: string[] = [];
  private processes = new Set<number>();

  private constructor(child: ChildProcess, profile: string) {
    this.child = child;
    this.profile = profile;
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async launch(options: { width?: number; height?: number } = {}): Promise<Browser> {
    if (!existsSync(BINARY)) throw new Error(CHROMIUM_HINT);
    const profile = mkdtempSync(join(tmpdir(), "nodenet-chromium-"));
    const child = spawn(
      BINARY,
      [
        "--headless",
        // Root (as the tests run) has no user namespace sandbox for the renderer.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--mute-audio",
        `--window-size=${options.width ?? 1280},${options.height ?? 900}`,
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const browser = new Browser(child, profile);
    try {
      const portFile = join(profile, "DevToolsActivePort");
      const deadline = Date.now() + 30_000;
      while (!existsSync(portFile) || readFileSync(portFile, "utf8").split("\n").length < 2) {
        if (child.exitCode !== null) throw new Error(`chromium exited (${child.exitCode}) before it listened: ${stderr}`);
        if (Date.now() > deadline) throw new Error(`chromium did not open its DevTools port within 30 s: ${stderr}`);
        await sleep(50);
      }
      const [port, path] = readFileSync(portFile, "utf8").split("\n");
      await browser.connect(`ws://127.0.0.1:${port}${path}`);
      return browser;
    } catch (error) {
      await browser.close();
      throw error;
    }
  }

  private connect(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket = new WebSocket(url);
      this.socket.addEventListener("open", () => resolve(), { once: true });
      this.socket.addEventListener("error", () => reject(new Error(`cannot connect to chromium's DevTools at ${url}`)), { once: true });
      this.socket.addEventListener("message", (message) => this.receive(String(message.data)));
      this.socket.addEventListener("close", () => {
        for (const p of this.pending.values()) p.reject(new Error(`chromium closed the DevTools connection during ${p.method}`));
        this.pending.clear();
      });
    });
  }

  private receive(data: string): void {
    const message = JSON.parse(data) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown> };
    if (message.id !== undefined) {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (message.error) pending.reject(new Error(`${pending.method}: ${message.error.message}`));
      else pending.resolve(message.result);
      return;
    }
    if (message.method === "Runtime.exceptionThrown") {
      const details = message.params?.exceptionDetails as { exception?: { description?: string }; text?: string } | undefined;
      this.pageErrors.push(details?.exception?.description ?? details?.text ?? "exception");
    }
    if (message.method === "Runtime.consoleAPICalled" && message.params?.type === "error") {
      this.pageErrors.push((message.params.args as { value?: unknown; description?: string }[]).map((a) => String(a.value ?? a.description)).join(" "));
    }
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  /** A new tab, with its Page and Runtime domains enabled (exceptions are collected in `pageErrors`). */
  async newPage(): Promise<Page> {
    const { targetId } = (await this.send("Target.createTarget", { url: "about:blank" })) as { targetId: string };
    const { sessionId } = (await this.send("Target.attachToTarget", { targetId, flatten: true })) as { sessionId: string };
    const page = new Page(this, sessionId);
    await page.send("Page.enable");
    await page.send("Runtime.enable");
    return page;
  }

  /** Ends chromium and every process it started (by PID), then removes its profile. Safe to call twice. */
  async close(): Promise<void> {
    if (this.child.pid) for (const pid of descendants(this.child.pid)) this.processes.add(pid);
    if (this.socket?.readyState === WebSocket.OPEN) {
      await Promise.race([this.send("Browser.close").catch(() => undefined), sleep(3_000)]);
      this.socket.close();
    }
    const pids = [this.child.pid, ...this.processes].filter((p): p is number => p !== undefined);
    const deadline = Date.now() + 5_000;
    while (pids.some(alive) && Date.now() < deadline) await sleep(50);
    for (const pid of pids.filter(alive)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // ended meanwhile
      }
    }
    while (pids.some(alive) && Date.now() < deadline + 5_000) await sleep(50);
    rmSync(this.profile, { recursive: true, force: true });
  }

  /** PIDs of the browser and the processes it started, as last seen (for leak assertions). */
  processIds(): number[] {
    if (this.child.pid && alive(this.child.pid)) for (const pid of descendants(this.child.pid)) this.processes.add(pid);
    return [this.child.pid!, ...this.processes];
  }

  get profileDir(): string {
    return this.profile;
  }
}
