import { hostAllowed } from '../src/hosts.js';

test.each([
  ['api.example.com', ['api.example.com'], true],
  ['API.Example.com', ['api.example.com'], true],
  ['api.example.com', ['example.com'], false],
  ['evil-api.example.com.attacker.net', ['api.example.com'], false],
  ['a.example.com', ['*.example.com'], true],
  ['a.b.example.com', ['*.example.com'], true],
  ['example.com', ['*.example.com'], false],
  ['exampleXcom', ['example.com'], false],
  ['127.0.0.1', ['127.0.0.1'], true],
  ['[::1]', ['::1'], true],
  ['anything.test', [], false],
])('%s against %j → %s', (host, patterns, allowed) => {
  expect(hostAllowed(host, patterns)).toBe(allowed);
});
