import net from 'node:net';
import { LoadFailedError, type Logger } from '@clawdesk/sandbox';
import type { EgressProvider } from './index.js';
import { createEgressProxy } from './proxy.js';

/**
 * The default way out of a plugin's network namespace: this host's egress proxy (allowlist,
 * resolve-and-pin) served on a unix socket that the plugin's forwarder relays to.
 */
export function unixSocketEgress(): EgressProvider {
  return {
    serve(socket: string, allowedHosts: string[], logger: Logger, plugin: string) {
      const proxy = createEgressProxy({ allowedHosts, logger, plugin });
      const server = net.createServer();
      // A path listener binds inside listen() itself: the socket accepts before the plugin starts.
      server.on('error', () => undefined);
      server.listen({ path: socket, exclusive: true });
      if (!server.listening) {
        void proxy.close();
        throw new LoadFailedError(`the egress proxy could not listen on ${JSON.stringify(socket)}`, { plugin });
      }
      proxy.serve(server);
      return proxy;
    },
  };
}
