/** Echo payloads that break naive framing, encoding and object handling. Every one is a JSON object (tool arguments). */

function nest(depth: number, leaf: unknown, wrap: (inner: unknown) => unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = wrap(value);
  return value;
}

export const ECHO_PAYLOADS: ReadonlyArray<{ name: string; args: Record<string, unknown> }> = [
  { name: 'an empty object', args: {} },
  {
    name: 'unicode text in many scripts',
    args: { text: 'héllo wörld — ñ 日本語 Ελληνικά עברית العربية हिन्दी', combining: 'e\u0301 a\u030a', zeroWidth: 'a\u200db\ufeffc' },
  },
  {
    name: 'emoji and astral-plane characters',
    args: { emoji: '👩‍👩‍👧‍👦 🏳️‍🌈 👍🏽 🦀', astral: '𝄞 𝕳 𠜎 😀', keyed: { '🔑': '🗝️', 'ключ': 'значение' } },
  },
  {
    name: 'control characters, quotes, backslashes and line separators',
    args: { text: '\u0000\u0001\u001f\n\r\t"\\/\u007f\u2028\u2029</script>', 'key with "quotes"\n': 1, '': 'empty key' },
  },
  {
    name: 'numbers at the edges of IEEE 754 doubles',
    args: { n: [0, 1, -1, 0.1, 3.141592653589793, 1e21, 2 ** 53 - 1, -(2 ** 53 - 1), 5e-324, 1.7976931348623157e308] },
  },
  { name: 'null, booleans, empty strings and empty containers', args: { a: null, t: true, f: false, s: '', o: {}, l: [], ll: [[], [{}]] } },
  // No "__proto__" key: schema validators (zod included) drop it on purpose, and echo may validate.
  { name: 'keys named like Object.prototype members', args: { constructor: { prototype: 1 }, toString: 'no', hasOwnProperty: null, valueOf: [] } },
  {
    name: 'arrays nested 64 deep and objects nested 64 deep',
    args: { arrays: nest(64, ['bottom'], (inner) => [inner, 0]), objects: nest(64, { bottom: true }, (inner) => ({ a: inner })) },
  },
  { name: 'a long array of mixed values', args: { items: Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? i : i % 3 === 1 ? `s${i}` : { i })) } },
];

/** About 1 MB of JSON (UTF-8), mixing ASCII, 2-, 3- and 4-byte characters. */
export function bigPayload(targetBytes = 1_000_000): Record<string, unknown> {
  const chunk = 'lorem ipsum dolor sit amet é ü 日本 😀 𝄞 '.repeat(4);
  const entryBytes = Buffer.byteLength(JSON.stringify({ i: 99999, s: chunk })) + 1;
  const count = Math.ceil(targetBytes / entryBytes);
  return { items: Array.from({ length: count }, (_, i) => ({ i, s: chunk })) };
}
