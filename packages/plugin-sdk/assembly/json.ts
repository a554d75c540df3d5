// A minimal JSON value for AssemblyScript plugins: parse, read, build, serialize.
// Kept small on purpose: no schema, no reflection, no streaming.

export enum JSONKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

export class JSONValue {
  kind: JSONKind = JSONKind.Null;
  private b: bool = false;
  private n: f64 = 0;
  private s: string = "";
  private items: Array<JSONValue> | null = null;
  private keys: Array<string> | null = null;
  private vals: Array<JSONValue> | null = null;

  static fromNull(): JSONValue {
    return new JSONValue();
  }

  static fromBool(value: bool): JSONValue {
    const v = new JSONValue();
    v.kind = JSONKind.Bool;
    v.b = value;
    return v;
  }

  static fromNumber(value: f64): JSONValue {
    const v = new JSONValue();
    v.kind = JSONKind.Number;
    v.n = value;
    return v;
  }

  static fromString(value: string): JSONValue {
    const v = new JSONValue();
    v.kind = JSONKind.String;
    v.s = value;
    return v;
  }

  static newArray(): JSONValue {
    const v = new JSONValue();
    v.kind = JSONKind.Array;
    v.items = new Array<JSONValue>();
    return v;
  }

  static newObject(): JSONValue {
    const v = new JSONValue();
    v.kind = JSONKind.Object;
    v.keys = new Array<string>();
    v.vals = new Array<JSONValue>();
    return v;
  }

  isNull(): bool { return this.kind == JSONKind.Null; }
  isBool(): bool { return this.kind == JSONKind.Bool; }
  isNumber(): bool { return this.kind == JSONKind.Number; }
  isString(): bool { return this.kind == JSONKind.String; }
  isArray(): bool { return this.kind == JSONKind.Array; }
  isObject(): bool { return this.kind == JSONKind.Object; }

  asBool(): bool { return this.kind == JSONKind.Bool ? this.b : false; }
  asNumber(): f64 { return this.kind == JSONKind.Number ? this.n : 0; }
  asString(): string { return this.kind == JSONKind.String ? this.s : ""; }

  /** Items of an array, or entries of an object; 0 otherwise. */
  get length(): i32 {
    if (this.kind == JSONKind.Array) return this.items!.length;
    if (this.kind == JSONKind.Object) return this.keys!.length;
    return 0;
  }

  /** Array item `i`, or a null value when out of range. */
  at(i: i32): JSONValue {
    if (this.kind != JSONKind.Array || i < 0 || i >= this.items!.length) return JSONValue.fromNull();
    return this.items![i];
  }

  /** Object keys in insertion order (empty for non-objects). */
  keyList(): Array<string> {
    return this.kind == JSONKind.Object ? this.keys!.slice(0) : new Array<string>();
  }

  has(key: string): bool {
    return this.indexOf(key) >= 0;
  }

  /** Object member `key`, or null when absent or not an object. */
  get(key: string): JSONValue | null {
    const i = this.indexOf(key);
    return i < 0 ? null : this.vals![i];
  }

  getString(key: string, fallback: string = ""): string {
    const v = this.get(key);
    return v !== null && v.isString() ? v.asString() : fallback;
  }

  getNumber(key: string, fallback: f64 = 0): f64 {
    const v = this.get(key);
    return v !== null && v.isNumber() ? v.asNumber() : fallback;
  }

  getBool(key: string, fallback: bool = false): bool {
    const v = this.get(key);
    return v !== null && v.isBool() ? v.asBool() : fallback;
  }

  /** Sets an object member (replacing an existing one); returns `this` for chaining. */
  set(key: string, value: JSONValue): JSONValue {
    if (this.kind != JSONKind.Object) return this;
    const i = this.indexOf(key);
    if (i >= 0) {
      this.vals![i] = value;
    } else {
      this.keys!.push(key);
      this.vals!.push(value);
    }
    return this;
  }

  setString(key: string, value: string): JSONValue { return this.set(key, JSONValue.fromString(value)); }
  setNumber(key: string, value: f64): JSONValue { return this.set(key, JSONValue.fromNumber(value)); }
  setBool(key: string, value: bool): JSONValue { return this.set(key, JSONValue.fromBool(value)); }

  /** Appends to an array; returns `this` for chaining. */
  push(value: JSONValue): JSONValue {
    if (this.kind == JSONKind.Array) this.items!.push(value);
    return this;
  }

  /** Serializes to JSON text. */
  toString(): string {
    switch (this.kind) {
      case JSONKind.Bool: return this.b ? "true" : "false";
      case JSONKind.Number: return numberToJSON(this.n);
      case JSONKind.String: return quote(this.s);
      case JSONKind.Array: {
        const items = this.items!;
        const parts = new Array<string>(items.length);
        for (let i = 0; i < items.length; i++) parts[i] = items[i].toString();
        return "[" + parts.join(",") + "]";
      }
      case JSONKind.Object: {
        const keys = this.keys!;
        const vals = this.vals!;
        const parts = new Array<string>(keys.length);
        for (let i = 0; i < keys.length; i++) parts[i] = quote(keys[i]) + ":" + vals[i].toString();
        return "{" + parts.join(",") + "}";
      }
      default: return "null";
    }
  }

  private indexOf(key: string): i32 {
    if (this.kind != JSONKind.Object) return -1;
    const keys = this.keys!;
    for (let i = 0; i < keys.length; i++) if (keys[i] == key) return i;
    return -1;
  }
}

/** Integers print without a fraction; NaN and infinities (not JSON) print as null. */
function numberToJSON(n: f64): string {
  if (!isFinite(n)) return "null";
  if (n == Math.floor(n) && Math.abs(n) < 9007199254740992) return (<i64>n).toString();
  return n.toString();
}

const HEX = "0123456789abcdef";

/** A JSON string literal for `s`. */
export function quote(s: string): string {
  let out = "\"";
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    out += s.substring(start, i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else out += "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    start = i + 1;
  }
  return out + s.substring(start) + "\"";
}

/** Parses JSON text; returns null when it is not valid JSON. */
export function parse(text: string): JSONValue | null {
  const p = new Parser(text);
  p.ws();
  const v = p.value(0);
  if (v === null) return null;
  p.ws();
  return p.i == text.length ? v : null;
}

const MAX_DEPTH = 256;

class Parser {
  i: i32 = 0;
  constructor(public s: string) {}

  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      this.i++;
    }
  }

  value(depth: i32): JSONValue | null {
    if (depth > MAX_DEPTH || this.i >= this.s.length) return null;
    const c = this.s.charCodeAt(this.i);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const str = this.string();
      return str === null ? null : JSONValue.fromString(str);
    }
    if (this.word("true")) return JSONValue.fromBool(true);
    if (this.word("false")) return JSONValue.fromBool(false);
    if (this.word("null")) return JSONValue.fromNull();
    return this.number();
  }

  word(w: string): bool {
    if (this.s.substr(this.i, w.length) != w) return false;
    this.i += w.length;
    return true;
  }

  object(depth: i32): JSONValue | null {
    const obj = JSONValue.newObject();
    this.i++;
    this.ws();
    if (this.peek() == 0x7d) { this.i++; return obj; }
    while (true) {
      this.ws();
      if (this.peek() != 0x22) return null;
      const key = this.string();
      if (key === null) return null;
      this.ws();
      if (this.peek() != 0x3a) return null;
      this.i++;
      this.ws();
      const v = this.value(depth + 1);
      if (v === null) return null;
      obj.set(key, v);
      this.ws();
      const c = this.peek();
      this.i++;
      if (c == 0x7d) return obj;
      if (c != 0x2c) return null;
    }
  }

  array(depth: i32): JSONValue | null {
    const arr = JSONValue.newArray();
    this.i++;
    this.ws();
    if (this.peek() == 0x5d) { this.i++; return arr; }
    while (true) {
      this.ws();
      const v = this.value(depth + 1);
      if (v === null) return null;
      arr.push(v);
      this.ws();
      const c = this.peek();
      this.i++;
      if (c == 0x5d) return arr;
      if (c != 0x2c) return null;
    }
  }

  string(): string | null {
    this.i++; // opening quote
    let out = "";
    let start = this.i;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c == 0x22) {
        out += this.s.substring(start, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) return null;
      if (c != 0x5c) { this.i++; continue; }
      out += this.s.substring(start, this.i);
      this.i++;
      const e = this.peek();
      this.i++;
      if (e == 0x22) out += "\"";
      else if (e == 0x5c) out += "\\";
      else if (e == 0x2f) out += "/";
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x75) {
        const code = this.hex4();
        if (code < 0) return null;
        out += String.fromCharCode(code);
      } else return null;
      start = this.i;
    }
    return null;
  }

  hex4(): i32 {
    if (this.i + 4 > this.s.length) return -1;
    let code = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.s.charCodeAt(this.i + k);
      let d = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      if (d < 0) return -1;
      code = (code << 4) | d;
    }
    this.i += 4;
    return code;
  }

  number(): JSONValue | null {
    const start = this.i;
    if (this.peek() == 0x2d) this.i++;
    const first = this.i;
    if (!this.digits()) return null;
    if (this.s.charCodeAt(first) == 0x30 && this.i - first > 1) return null; // no leading zeros
    if (this.peek() == 0x2e) {
      this.i++;
      if (!this.digits()) return null;
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.i++;
      const sign = this.peek();
      if (sign == 0x2b || sign == 0x2d) this.i++;
      if (!this.digits()) return null;
    }
    return JSONValue.fromNumber(parseFloat(this.s.substring(start, this.i)));
  }

  digits(): bool {
    const start = this.i;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c < 0x30 || c > 0x39) break;
      this.i++;
    }
    return this.i > start;
  }

  peek(): i32 {
    return this.i < this.s.length ? this.s.charCodeAt(this.i) : -1;
  }
}
