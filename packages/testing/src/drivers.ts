import type { LoadedManifest } from '@clawdesk/manifest';
import type { SandboxDriver } from '@clawdesk/sandbox';
import { DriverNotInstalledError } from './errors.js';

type DriverFactories = {
  '@clawdesk/openclaw': typeof import('@clawdesk/openclaw');
  '@clawdesk/sandbox-wasm': typeof import('@clawdesk/sandbox-wasm');
  '@clawdesk/sandbox-process': typeof import('@clawdesk/sandbox-process');
};
export type PeerImporter = <K extends keyof DriverFactories>(pkg: K) => Promise<DriverFactories[K]>;

const importPeer: PeerImporter = (pkg) => {
  // Literal specifiers, so bundlers and type checks see each one.
  switch (pkg) {
    case '@clawdesk/openclaw':
      return import('@clawdesk/openclaw') as never;
    case '@clawdesk/sandbox-wasm':
      return import('@clawdesk/sandbox-wasm') as never;
    default:
      return import('@clawdesk/sandbox-process') as never;
  }
};

/**
 * The driver a host app would run this plugin under, chosen from its manifest. The process and
 * wasm drivers are dependencies of this package; @clawdesk/openclaw is an optional peer (only
 * OpenClaw plugin authors need it), named when it is missing. `load` is replaceable for tests.
 */
export async function driverFor(manifest: LoadedManifest, load: PeerImporter = importPeer): Promise<SandboxDriver> {
  if (manifest.sandbox === 'native') {
    const { createNativeDriver } = await import('@clawdesk/host');
    return createNativeDriver();
  }
  const peer = async <K extends keyof DriverFactories>(pkg: K): Promise<DriverFactories[K]> => {
    try {
      return await load(pkg);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // Only "this package is not there" means not installed; an error inside the driver is a bug to see as is.
      if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes(pkg)) {
        throw new DriverNotInstalledError(manifest.name, manifest.format === 'openclaw' ? 'OpenClaw (process)' : manifest.sandbox, pkg, error);
      }
      throw error;
    }
  };
  if (manifest.format === 'openclaw') return (await peer('@clawdesk/openclaw')).createOpenClawDriver();
  if (manifest.sandbox === 'wasm') return (await peer('@clawdesk/sandbox-wasm')).createWasmDriver();
  return (await peer('@clawdesk/sandbox-process')).createProcessDriver();
}
