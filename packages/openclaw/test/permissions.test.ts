import { parseManifest } from '@clawdesk/manifest';
import { grantedPermissions } from '../src/permissions.js';

const manifest = parseManifest(
  JSON.stringify({ id: 'p', description: 'd', version: '1.0.0', entry: './index.js', permissions: { network: { allowedHosts: ['a.example'] }, env: ['A'] } }),
  { file: '/plugins/p/openclaw.plugin.json', format: 'openclaw', dir: '/plugins/p' },
);

describe('grantedPermissions', () => {
  test('without a grant the manifest permissions apply unchanged', () => {
    expect(grantedPermissions(manifest, undefined)).toEqual(manifest.permissions);
  });

  test('a grant adds to the lists and sets the memory limit', () => {
    expect(grantedPermissions(manifest, { network: { allowedHosts: ['a.example', 'b.example'] }, fs: { read: ['./data'] }, env: ['B'], memoryMb: 256 })).toEqual({
      network: { allowedHosts: ['a.example', 'b.example'] },
      fs: { read: ['./data'], write: [] },
      env: ['A', 'B'],
      memoryMb: 256,
    });
  });
});
