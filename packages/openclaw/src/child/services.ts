/** What `api.registerService` accepts (OpenClaw's `OpenClawPluginService`). */
export interface OpenClawService {
  id: string;
  start(ctx: ServiceContext): unknown;
  stop?(ctx: ServiceContext): unknown;
}

export interface ServiceContext {
  config: Record<string, unknown>;
  workspaceDir: string;
  stateDir: string;
  logger: unknown;
}

export function checkService(value: unknown): OpenClawService {
  const s = value as Partial<OpenClawService> | null;
  if (typeof s !== 'object' || s === null) throw new TypeError(`registerService: expected { id, start, stop? }, got ${s === null ? 'null' : typeof s}`);
  if (typeof s.id !== 'string' || s.id === '') throw new TypeError('registerService: the service needs a non-empty string "id"');
  if (typeof s.start !== 'function') throw new TypeError(`registerService: service "${s.id}" needs a start() function`);
  if (s.stop !== undefined && typeof s.stop !== 'function') throw new TypeError(`registerService: service "${s.id}" has a "stop" that is not a function`);
  return s as OpenClawService;
}

const describeError = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * Starts services in registration order before the plugin serves and stops them in reverse on
 * shutdown. A failing start or stop is logged, not fatal (OpenClaw's gateway does the same).
 */
export class ServiceRunner {
  readonly #started: OpenClawService[] = [];

  constructor(
    private readonly services: readonly OpenClawService[],
    private readonly ctx: ServiceContext,
    private readonly logError: (message: string) => void,
  ) {}

  async startAll(): Promise<void> {
    for (const service of this.services) {
      try {
        await service.start(this.ctx);
        this.#started.push(service);
      } catch (error) {
        this.logError(`service "${service.id}" failed to start: ${describeError(error)}`);
      }
    }
  }

  /** Stops started services, newest first; gives up waiting after `budgetMs` in total (the host kills us soon after). */
  async stopAll(budgetMs: number): Promise<void> {
    const stopping = (async () => {
      for (const service of this.#started.splice(0).reverse()) {
        try {
          await service.stop?.(this.ctx);
        } catch (error) {
          this.logError(`service "${service.id}" failed to stop: ${describeError(error)}`);
        }
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => (timer = setTimeout(resolve, budgetMs)));
    await Promise.race([stopping, budget]);
    clearTimeout(timer);
  }
}
