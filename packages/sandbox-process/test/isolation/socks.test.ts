import { parseGreeting, parseRequest, replyForConnectError, requestReply, SocksReply } from '../../src/isolation/socks.js';

const domainRequest = (host: string, port: number) =>
  Buffer.concat([Buffer.from([5, 1, 0, 3, host.length]), Buffer.from(host), Buffer.from([port >> 8, port & 255])]);

describe('SOCKS5 framing', () => {
  test('a greeting split at every byte boundary needs more bytes until it is whole', () => {
    const greeting = Buffer.from([5, 2, 2, 0]);
    for (let cut = 0; cut < greeting.length; cut++) expect(parseGreeting(greeting.subarray(0, cut))).toEqual({ need: true });
    expect(parseGreeting(greeting)).toEqual({ value: { noAuthOffered: true }, length: 4 });
  });

  test('a greeting that offers only username/password is parsed as not offering "no authentication"', () => {
    expect(parseGreeting(Buffer.from([5, 1, 2]))).toEqual({ value: { noAuthOffered: false }, length: 3 });
  });

  test('a SOCKS4 greeting is a protocol error', () => {
    expect(parseGreeting(Buffer.from([4, 1, 0, 80]))).toEqual({ error: 'SOCKS version 4 is not 5', reply: SocksReply.GENERAL_FAILURE });
  });

  test('a domain-name request split at every byte boundary parses only when whole, leaving later bytes alone', () => {
    const request = Buffer.concat([domainRequest('api.example.com', 443), Buffer.from('tls-hello')]);
    const whole = request.length - 'tls-hello'.length;
    for (let cut = 0; cut < whole; cut++) expect(parseRequest(request.subarray(0, cut))).toEqual({ need: true });
    expect(parseRequest(request)).toEqual({ value: { host: 'api.example.com', port: 443 }, length: whole });
  });

  test.each([
    ['IPv4', Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90]), { host: '127.0.0.1', port: 8080 }],
    ['IPv6', Buffer.from([5, 1, 0, 4, ...Array(15).fill(0), 1, 0, 80]), { host: '0:0:0:0:0:0:0:1', port: 80 }],
  ])('an %s request gives the address as text', (_kind, request, target) => {
    expect(parseRequest(request)).toEqual({ value: target, length: request.length });
  });

  test.each([
    ['BIND', Buffer.from([5, 2, 0, 1, 1, 2, 3, 4, 0, 80]), SocksReply.COMMAND_NOT_SUPPORTED],
    ['UDP ASSOCIATE', Buffer.from([5, 3, 0, 1, 1, 2, 3, 4, 0, 80]), SocksReply.COMMAND_NOT_SUPPORTED],
    ['an unknown address type', Buffer.from([5, 1, 0, 9, 1, 2, 3, 4, 0, 80]), SocksReply.ADDRESS_TYPE_NOT_SUPPORTED],
    ['an empty host name', Buffer.from([5, 1, 0, 3, 0, 0, 80]), SocksReply.HOST_UNREACHABLE],
  ])('%s is refused with the matching reply code', (_kind, request, reply) => {
    expect(parseRequest(request)).toMatchObject({ reply });
  });

  test('replies carry the code and a zero bound address', () => {
    expect(requestReply(SocksReply.NOT_ALLOWED)).toEqual(Buffer.from([5, 2, 0, 1, 0, 0, 0, 0, 0, 0]));
    expect(replyForConnectError('ECONNREFUSED')).toBe(SocksReply.CONNECTION_REFUSED);
    expect(replyForConnectError('EWHATEVER')).toBe(SocksReply.GENERAL_FAILURE);
  });
});
