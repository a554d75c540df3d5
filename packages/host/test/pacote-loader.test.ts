import { loadPacote, PACOTE_RANGE } from '../src/pacote-loader.js';

const moduleNotFound = (specifier: string, from = '/app/node_modules/@clawdesk/host/dist/index.js') =>
  Object.assign(new Error(`Cannot find package '${specifier}' imported from ${from}`), { code: 'ERR_MODULE_NOT_FOUND' });

describe('pacote, the optional peer dependency of host.install', () => {
  test('when it is not installed, the install fails with INSTALL_UNAVAILABLE saying how to add it', async () => {
    const error = await loadPacote('npm:some-plugin@^1', () => Promise.reject(moduleNotFound('pacote'))).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      name: 'InstallError',
      code: 'INSTALL_UNAVAILABLE',
      spec: 'npm:some-plugin@^1',
      data: { spec: 'npm:some-plugin@^1', missing: 'pacote', range: PACOTE_RANGE },
    });
    expect((error as Error).message).toBe(
      'cannot install npm:some-plugin@^1: host.install needs pacote, an optional peer dependency of @clawdesk/host that is not installed; add it with `npm install pacote@^22.0.0`',
    );
  });

  test('a module missing inside pacote (a broken install) is not mistaken for pacote itself missing', async () => {
    const inner = moduleNotFound('ssri', '/app/node_modules/pacote/lib/fetcher.js');
    await expect(loadPacote('npm:x', () => Promise.reject(inner))).rejects.toBe(inner);
  });

  test('when it is installed, it is what install uses', async () => {
    const pacote = await loadPacote('npm:x');
    expect(typeof pacote.manifest).toBe('function');
    expect(typeof pacote.extract).toBe('function');
  });
});
