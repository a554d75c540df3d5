import { readFileSync } from 'node:fs';

describe('the README', () => {
  test('shows the conformance example exactly as test/conformance.test.ts runs it', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('./conformance.test.ts', import.meta.url), 'utf8');
    expect(readme).toContain(['```ts', example.trimEnd(), '```'].join('\n'));
  });
});
