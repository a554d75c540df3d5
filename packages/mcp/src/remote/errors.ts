import { LoadFailedError } from '@clawdesk/sandbox';

/**
 * A remote plugin's MCP server could not be reached: refused, reset, no such name, or no answer
 * within the start limit. Code `LOAD_FAILED` (the host retries a restart with backoff);
 * `data`: `{ url, reason }`, and `plugin` names the plugin.
 */
export class RemoteUnreachableError extends LoadFailedError {
  readonly url: string;
  constructor(plugin: string, url: string, reason: string, cause?: unknown) {
    super(`its MCP server at ${url} is unreachable: ${reason}`, { plugin, driver: 'remote', cause, data: { url, reason } });
    this.url = url;
  }
}
