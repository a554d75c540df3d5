import type { PacoteManifest, PacoteOptions } from 'pacote';
import { InstallError } from './errors.js';

// pacote (npm's fetcher, ~110 packages) is an optional peer dependency: only `host.install` uses it,
// so a host app that never installs from npm does not carry it. Loaded on first use.

export interface Pacote {
  manifest(spec: string, opts?: PacoteOptions): Promise<PacoteManifest>;
  extract(spec: string, dest: string, opts?: PacoteOptions): Promise<unknown>;
}

/** The range of pacote the host is written against (its peerDependency). */
export const PACOTE_RANGE = '^22.0.0';

/** Imports pacote, or throws `INSTALL_UNAVAILABLE` saying how to add it when it is not installed. */
export async function loadPacote(spec: string, importPacote: () => Promise<{ default: Pacote }> = () => import('pacote')): Promise<Pacote> {
  try {
    return (await importPacote()).default;
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    // Node names the specifier in quotes; a package missing *inside* pacote names another one.
    const missing = (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && /['"]pacote['"]/.test(String(e.message));
    if (!missing) throw error;
    throw new InstallError(
      'INSTALL_UNAVAILABLE',
      `cannot install ${spec}: host.install needs pacote, an optional peer dependency of @clawdesk/host that is not installed; add it with \`npm install pacote@${PACOTE_RANGE}\``,
      { spec, cause: error, data: { missing: 'pacote', range: PACOTE_RANGE } },
    );
  }
}
