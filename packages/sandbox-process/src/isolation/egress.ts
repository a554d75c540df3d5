import type { Logger } from '@clawdesk/sandbox';
import type { EgressProvider } from './index.js';
import { listenInNetns } from './netns-listener.js';
import { createEgressProxy } from './proxy.js';

/**
 * The default way out of a plugin's network namespace: this host's egress proxy (allowlist,
 * resolve-and-pin) served on a listener bound at 127.0.0.1:`port` inside that namespace.
 */
export function netnsEgress(port: number): EgressProvider {
  return {
    async open(pid: number, allowedHosts: string[], logger: Logger, plugin: string) {
      const proxy = createEgressProxy({ allowedHosts, logger, plugin });
      try {
        proxy.serve(await listenInNetns(pid, { port, plugin }));
      } catch (error) {
        await proxy.close();
        throw error;
      }
      return proxy;
    },
  };
}
