import { readFileSync } from 'node:fs';

describe('the README', () => {
  test('shows the weather example exactly as the tests run it', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('./fixtures/weather-plugin.ts', import.meta.url), 'utf8');
    expect(readme).toContain(['```ts', example.trimEnd(), '```'].join('\n'));
  });
});
