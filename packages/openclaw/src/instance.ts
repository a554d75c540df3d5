import type { CallOptions, ExitInfo, PluginDescription, SandboxInstance, ToolResult } from '@clawdesk/sandbox';
import type { ProcessInstance } from '@clawdesk/sandbox-process';
import type { UnsupportedRegistration } from './protocol.js';

/** A process instance running the OpenClaw runner; `describe()` adds what the plugin registered that the host cannot serve. */
export class OpenClawInstance implements SandboxInstance {
  readonly #inner: ProcessInstance;
  readonly #unsupported: () => readonly UnsupportedRegistration[];

  constructor(inner: ProcessInstance, unsupported: () => readonly UnsupportedRegistration[]) {
    this.#inner = inner;
    this.#unsupported = unsupported;
  }

  async describe(): Promise<PluginDescription> {
    const described = await this.#inner.describe();
    return { ...described, unsupported: this.#unsupported().map((u) => ({ ...u })) };
  }

  callTool(name: string, args: unknown, opts: CallOptions): Promise<ToolResult> {
    return this.#inner.callTool(name, args, opts);
  }

  dispatch(hook: string, payload: unknown, opts: CallOptions): Promise<unknown> {
    return this.#inner.dispatch(hook, payload, opts);
  }

  dispose(): Promise<void> {
    return this.#inner.dispose();
  }

  onExit(listener: (info: ExitInfo) => void): () => void {
    return this.#inner.onExit(listener);
  }

  /** Process id of the runner, for diagnostics and tests. */
  get pid(): number | undefined {
    return this.#inner.pid;
  }
}
