import { hostAllowed } from '../src/index.js';

describe('hostAllowed: the allowedHosts rule every driver and the host share', () => {
  test.each([
    ['http://api.example.com/x', ['api.example.com'], true],
    ['https://API.Example.com/x', ['api.example.com'], true],
    ['http://api.example.com/', ['example.com'], false],
    ['http://evil-api.example.com.attacker.net/', ['api.example.com'], false],
    ['http://a.example.com/', ['*.example.com'], true],
    ['http://a.b.example.com/', ['*.example.com'], true],
    ['http://example.com/', ['*.example.com'], false],
    ['http://examplexcom/', ['example.com'], false],
    ['http://cdn-7.images.test/', ['cdn-*.images.test'], true],
    ['http://127.0.0.1:8080/', ['127.0.0.1'], true],
    ['http://127.0.0.1:8080/', ['127.0.0.1:8080'], true],
    ['http://127.0.0.1:8081/', ['127.0.0.1:8080'], false],
    ['http://localhost:8080/', ['127.0.0.1:8080'], false],
    ['https://api.example.com/', ['api.example.com:443'], true],
    ['http://api.example.com/', ['api.example.com:443'], false],
    ['http://[::1]:3000/', ['::1'], true],
    ['http://[::1]:3000/', ['[::1]:3000'], true],
    ['http://[::1]:3001/', ['[::1]:3000'], false],
    ['http://anything.test/', [], false],
  ])('%s against %j → %s', (url, allowed, expected) => {
    expect(hostAllowed(url, allowed)).toBe(expected);
    expect(hostAllowed(new URL(url), allowed)).toBe(expected);
  });
});
