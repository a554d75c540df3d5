import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { fetchPinned, type PinnedAddress } from '@clawdesk/sandbox';

/** The `fetch` the SDK's transport is given: pinned to one address, with its own pool, and watched for a lost server. */
export interface RemoteFetch {
  fetch(url: string | URL, init?: RequestInit): Promise<Response>;
  /** Closes every pooled and open connection (after `dispose`, or once the server is lost). */
  destroy(): void;
}

/**
 * Every request connects to `pinned` (the address `resolveAllowedHost` admitted; no second DNS
 * answer), through a pool owned by one instance. A request that fails, or a response stream
 * that breaks, without our own abort means the server went away: `onLost` is told (once per cause).
 */
export function remoteFetch(pinned: PinnedAddress, https: boolean, onLost: (error: unknown) => void): RemoteFetch {
  const agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const lost = (error: unknown, signal: AbortSignal | null | undefined) => {
    if (!signal?.aborted) onLost(error);
  };
  return {
    async fetch(url, init = {}) {
      const signal = init.signal;
      let res: Response;
      try {
        res = await fetchPinned(new URL(url), pinned, {
          method: init.method ?? 'GET',
          headers: Object.fromEntries(new Headers(init.headers).entries()),
          ...(typeof init.body === 'string' ? { body: init.body } : {}),
          ...(signal ? { signal } : {}),
          agent,
        });
      } catch (error) {
        lost(error, signal);
        throw error;
      }
      if (!res.body) return res;
      const reader = res.body.getReader();
      // Only a read that fails is the server's doing; the reader cancelling (the SDK done with a stream) is ours.
      let cancelled = false;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (error) {
            if (!cancelled) lost(error, signal);
            if (!cancelled) controller.error(error);
            return;
          }
          if (cancelled) return;
          if (chunk.done) controller.close();
          else controller.enqueue(chunk.value);
        },
        cancel: (reason) => {
          cancelled = true;
          return reader.cancel(reason);
        },
      });
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    },
    destroy: () => agent.destroy(),
  };
}
