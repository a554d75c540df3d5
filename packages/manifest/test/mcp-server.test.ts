import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mcpServerManifest, mcpServerManifestDoc } from '../src/index.js';

const MODULES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../node_modules/@modelcontextprotocol');

describe('a manifest synthesized for an MCP server package', () => {
  test('server-filesystem: its bin is a node process plugin entry, args passed, name without the scope', async () => {
    const dir = path.join(MODULES, 'server-filesystem');
    const m = await mcpServerManifest(dir, { args: ['${dataDir}/shared'] });
    expect(m).toMatchObject({
      name: 'server-filesystem',
      runtime: 'node',
      sandbox: 'process',
      entry: './dist/index.js',
      args: ['${dataDir}/shared'],
      capabilities: ['tool_call'],
      tools: [],
      dir,
      manifestFile: path.join(dir, 'plugin.json5'),
      format: 'json5',
    });
    // Nothing granted: the operator grants what the server needs.
    expect(m.permissions).toMatchObject({ network: { allowedHosts: [] }, fs: { read: [], write: [] }, env: [] });
  });

  test('the name can be chosen', async () => {
    expect((await mcpServerManifest(path.join(MODULES, 'server-everything'), { name: 'everything' })).name).toBe('everything');
  });

  describe('hostile or unusable packages', () => {
    let root: string;
    beforeAll(() => (root = mkdtempSync(path.join(os.tmpdir(), 'clawdesk-mcp-manifest-'))));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const pkgDir = (name: string, pkg: unknown) => {
      const dir = path.join(root, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg));
      return dir;
    };

    test('a bin leaving the package is MANIFEST_ENTRY_ESCAPE', async () => {
      await expect(mcpServerManifest(pkgDir('escape', { name: 'escape', bin: '../../../bin/sh' }))).rejects.toMatchObject({ code: 'MANIFEST_ENTRY_ESCAPE' });
    });

    test('no bin, or several without a choice, is MANIFEST_INVALID naming package.json', async () => {
      const none = pkgDir('none', { name: 'none', version: '1.0.0' });
      await expect(mcpServerManifest(none)).rejects.toMatchObject({ code: 'MANIFEST_INVALID', file: path.join(none, 'package.json'), problems: [{ path: 'bin' }] });
      const two = pkgDir('two', { name: 'two', bin: { a: 'a.js', b: 'b.js' } });
      await expect(mcpServerManifest(two)).rejects.toThrow(/several executables \("a", "b"\)/);
      expect((await mcpServerManifest(two, { bin: 'b' })).entry).toBe('./b.js');
      await expect(mcpServerManifest(two, { bin: 'c' })).rejects.toThrow(/has no "c"/);
    });

    test('a package name that is not a plugin name is refused by the schema, not passed through', async () => {
      await expect(mcpServerManifest(pkgDir('weird', { name: '@x/$$$', bin: 'a.js' }))).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
    });

    test('no package.json is MANIFEST_NOT_FOUND', async () => {
      await expect(mcpServerManifest(path.join(root, 'nowhere'))).rejects.toMatchObject({ code: 'MANIFEST_NOT_FOUND' });
    });

    test('the document is plain data: a string bin is named after the package', () => {
      expect(mcpServerManifestDoc({ name: '@scope/srv', version: '2.0.0', bin: 'cli.js' })).toEqual({
        name: 'srv', version: '2.0.0', runtime: 'node', sandbox: 'process', entry: './cli.js', capabilities: ['tool_call'],
      });
    });
  });
});
