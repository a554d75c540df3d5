import { hostAllowed, isPrivateAddress, resolveAllowedHost } from '../src/index.js';

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

describe('resolveAllowedHost: names are resolved once, pinned, and kept off private addresses', () => {
  const lookupTo = (...addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('pins a listed name to its public address', async () => {
    const result = await resolveAllowedHost('api.example.com', 443, ['api.example.com'], { lookup: lookupTo('93.184.216.34') });
    expect(result).toEqual({ pinned: { address: '93.184.216.34', family: 4 } });
  });

  it.each([['127.0.0.1'], ['10.1.2.3'], ['169.254.169.254'], ['192.168.1.1'], ['::1'], ['fe80::1'], ['::ffff:127.0.0.1'], ['0.0.0.0']])(
    'refuses a listed name that resolves to %s',
    async (address) => {
      const result = await resolveAllowedHost('evil.example.com', 80, ['evil.example.com'], { lookup: lookupTo(address) });
      expect(result.pinned).toBeUndefined();
      expect(result.reason).toContain('not itself in allowedHosts');
    },
  );

  it('admits a private address that is listed as itself, by name or literally', async () => {
    expect((await resolveAllowedHost('db.internal', 5432, ['db.internal', '10.0.0.5'], { lookup: lookupTo('10.0.0.5') })).pinned).toEqual({ address: '10.0.0.5', family: 4 });
    expect((await resolveAllowedHost('127.0.0.1', 8080, ['127.0.0.1:8080'])).pinned).toEqual({ address: '127.0.0.1', family: 4 });
  });

  it('never lets a wildcard admit loopback', async () => {
    expect((await resolveAllowedHost('127.0.0.1', 80, ['*'])).reason).toContain('exact allowedHosts entry');
    expect((await resolveAllowedHost('x.example.com', 80, ['*.example.com'], { lookup: lookupTo('127.0.0.1') })).pinned).toBeUndefined();
  });

  it('skips private answers when a public one exists, and refuses names not listed before any lookup', async () => {
    expect((await resolveAllowedHost('a.example.com', 80, ['a.example.com'], { lookup: lookupTo('127.0.0.1', '93.184.216.34') })).pinned?.address).toBe('93.184.216.34');
    let lookups = 0;
    const lookup = async () => { lookups += 1; return [{ address: '93.184.216.34', family: 4 }]; };
    expect((await resolveAllowedHost('b.example.com', 80, ['a.example.com'], { lookup })).reason).toContain('not in permissions.network.allowedHosts');
    expect(lookups).toBe(0);
  });

  it('reports a name that does not resolve', async () => {
    const result = await resolveAllowedHost('nowhere.example.com', 80, ['nowhere.example.com'], { lookup: async () => { throw new Error('ENOTFOUND'); } });
    expect(result.reason).toContain('does not resolve');
  });
});

describe('isPrivateAddress', () => {
  it('tells public from private addresses', () => {
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
    expect(isPrivateAddress('2606:4700::1111')).toBe(false);
    expect(isPrivateAddress('172.20.0.1')).toBe(true);
    expect(isPrivateAddress('fd00::1')).toBe(true);
    expect(isPrivateAddress('not-an-ip')).toBe(false);
  });
});
