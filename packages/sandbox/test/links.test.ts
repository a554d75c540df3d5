import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isInside, symlinkEscapes } from '../src/index.js';

describe('symlinkEscapes: links that lead out of what a plugin may reach', () => {
  let root: string;
  beforeEach(() => {
    root = realpathSync(mkdtempSync(path.join(tmpdir(), 'clawdesk-links-')));
    mkdirSync(path.join(root, 'data', 'deep'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('a link to / deep inside the dir is found, with its real target', () => {
    symlinkSync('/', path.join(root, 'data', 'deep', 'rootfs'));
    expect(symlinkEscapes(root, () => [root])).toEqual([{ link: path.join(root, 'data', 'deep', 'rootfs'), target: '/' }]);
  });

  test('relative links climbing out, and dangling links pointing out, are found too', () => {
    symlinkSync('../../..', path.join(root, 'data', 'up'));
    symlinkSync('/nonexistent-clawdesk/x', path.join(root, 'dangling'));
    expect(symlinkEscapes(root, () => [root]).map((e) => path.basename(e.link)).sort()).toEqual(['dangling', 'up']);
  });

  test('links that stay inside an allowed dir are fine, and links are judged by the dirs allowed for their own place', () => {
    symlinkSync('./data', path.join(root, 'alias'));
    symlinkSync('..', path.join(root, 'data', 'parent'));
    const data = path.join(root, 'data');
    expect(symlinkEscapes(root, () => [root])).toEqual([]);
    // Inside data/, only data/ is allowed: a link from there to the plugin dir escapes.
    expect(symlinkEscapes(root, (link) => (isInside(data, link) ? [data] : [root]))).toEqual([{ link: path.join(data, 'parent'), target: root }]);
  });

  test('isInside takes the dir itself and what is under it, not siblings sharing a prefix', () => {
    expect(isInside('/a/b', '/a/b')).toBe(true);
    expect(isInside('/a/b', '/a/b/c')).toBe(true);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    expect(isInside('/a/b', '/a')).toBe(false);
  });
});
