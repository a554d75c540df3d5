import { assertSupportedNode, MIN_NODE_MAJOR, UnsupportedNodeError, unsupportedNode } from '../src/node-version.js';

describe('the Node version check every package runs first', () => {
  test('Node 20 is refused with a message naming the version needed, the version found and which node it is', () => {
    expect(unsupportedNode({ node: '20.20.2' }, '/usr/bin/node')).toBe(
      'clawdesk needs Node.js 22 or newer, but this is Node.js 20.20.2 (/usr/bin/node); install Node.js 22 or 24 (LTS) and run it again',
    );
    let thrown: unknown;
    try {
      assertSupportedNode({ node: '18.0.0' }, '/opt/node18/bin/node');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnsupportedNodeError);
    expect(thrown).toMatchObject({ name: 'UnsupportedNodeError', code: 'UNSUPPORTED_NODE', required: 22, nodeVersion: '18.0.0' });
    expect((thrown as Error).message).toContain('Node.js 18.0.0 (/opt/node18/bin/node)');
  });

  test.each(['22.0.0', '22.22.2', '24.21.0', '26.1.0'])('Node %s passes', (node) => {
    expect(unsupportedNode({ node })).toBeUndefined();
    expect(() => assertSupportedNode({ node })).not.toThrow();
  });

  test('Bun and Deno are not judged by the Node version they emulate (they run plugin children)', () => {
    expect(unsupportedNode({ node: '20.0.0', bun: '1.4.5' })).toBeUndefined();
    expect(unsupportedNode({ node: '20.11.1', deno: '2.9.6' })).toBeUndefined();
  });

  test('the running Node (the one these tests use) passes, and the floor is 22', () => {
    expect(MIN_NODE_MAJOR).toBe(22);
    expect(unsupportedNode()).toBeUndefined();
  });
});
