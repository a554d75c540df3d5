/**
 * SOCKS5 (RFC 1928) framing for the egress proxy: the greeting and the CONNECT request, parsed from
 * however many bytes have arrived. Pure functions, no sockets: the proxy feeds them its buffer.
 * Only what a plugin needs: no authentication, CONNECT only (no BIND, no UDP ASSOCIATE).
 */

export const SOCKS_VERSION = 0x05;

/** Reply codes (RFC 1928 §6) the proxy sends. */
export const SocksReply = {
  SUCCEEDED: 0x00,
  GENERAL_FAILURE: 0x01,
  NOT_ALLOWED: 0x02,
  HOST_UNREACHABLE: 0x04,
  CONNECTION_REFUSED: 0x05,
  TTL_EXPIRED: 0x06,
  COMMAND_NOT_SUPPORTED: 0x07,
  ADDRESS_TYPE_NOT_SUPPORTED: 0x08,
} as const;

const NO_AUTH = 0x00;
const NO_ACCEPTABLE_METHOD = 0xff;
const CMD_CONNECT = 0x01;

/** The result of parsing a prefix of the buffer: more bytes needed, a protocol error, or a value and its length. */
export type Parsed<T> = { need: true } | { error: string; reply: number } | { value: T; length: number };

/** Greeting: `VER NMETHODS METHODS…`. The value says whether "no authentication" was offered. */
export function parseGreeting(buf: Uint8Array): Parsed<{ noAuthOffered: boolean }> {
  if (buf.length < 2) return { need: true };
  if (buf[0] !== SOCKS_VERSION) return { error: `SOCKS version ${buf[0]} is not 5`, reply: SocksReply.GENERAL_FAILURE };
  const count = buf[1]!;
  if (buf.length < 2 + count) return { need: true };
  const methods = buf.subarray(2, 2 + count);
  return { value: { noAuthOffered: methods.includes(NO_AUTH) }, length: 2 + count };
}

/** The answer to a greeting: "no authentication" if offered, else "no acceptable method". */
export function greetingReply(noAuthOffered: boolean): Buffer {
  return Buffer.from([SOCKS_VERSION, noAuthOffered ? NO_AUTH : NO_ACCEPTABLE_METHOD]);
}

export interface SocksTarget {
  /** A hostname, an IPv4 address or an IPv6 address (without brackets). */
  host: string;
  port: number;
}

/** Request: `VER CMD RSV ATYP DST.ADDR DST.PORT`. Only CONNECT is accepted. */
export function parseRequest(buf: Uint8Array): Parsed<SocksTarget> {
  if (buf.length < 5) return { need: true };
  if (buf[0] !== SOCKS_VERSION) return { error: `SOCKS version ${buf[0]} is not 5`, reply: SocksReply.GENERAL_FAILURE };
  if (buf[1] !== CMD_CONNECT) return { error: `SOCKS command ${buf[1]} is not supported (CONNECT only)`, reply: SocksReply.COMMAND_NOT_SUPPORTED };
  const type = buf[3];
  let host: string;
  let end: number;
  if (type === 0x01) {
    end = 4 + 4;
    if (buf.length < end + 2) return { need: true };
    host = Array.from(buf.subarray(4, end)).join('.');
  } else if (type === 0x03) {
    const length = buf[4]!;
    end = 5 + length;
    if (buf.length < end + 2) return { need: true };
    host = Buffer.from(buf.subarray(5, end)).toString('latin1');
    if (length === 0) return { error: 'SOCKS request has an empty host name', reply: SocksReply.HOST_UNREACHABLE };
  } else if (type === 0x04) {
    end = 4 + 16;
    if (buf.length < end + 2) return { need: true };
    const groups: string[] = [];
    for (let i = 4; i < end; i += 2) groups.push(((buf[i]! << 8) | buf[i + 1]!).toString(16));
    host = groups.join(':');
  } else {
    return { error: `SOCKS address type ${type} is not supported`, reply: SocksReply.ADDRESS_TYPE_NOT_SUPPORTED };
  }
  const port = (buf[end]! << 8) | buf[end + 1]!;
  return { value: { host, port }, length: end + 2 };
}

/** A reply to the request; the bound address is always reported as 0.0.0.0:0 (clients ignore it). */
export function requestReply(code: number): Buffer {
  return Buffer.from([SOCKS_VERSION, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
}

/** Maps a failed upstream connect to the closest SOCKS reply code. */
export function replyForConnectError(code: string | undefined): number {
  switch (code) {
    case 'ECONNREFUSED':
      return SocksReply.CONNECTION_REFUSED;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return SocksReply.HOST_UNREACHABLE;
    case 'ETIMEDOUT':
      return SocksReply.TTL_EXPIRED;
    default:
      return SocksReply.GENERAL_FAILURE;
  }
}
