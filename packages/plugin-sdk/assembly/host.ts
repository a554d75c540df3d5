// clawdesk host functions (namespace `extism:host/user`) and the two WASI calls the SDK uses.
// Every payload crosses as an Extism memory block holding UTF-8 text.
import { Memory } from "@extism/as-pdk";
import { error_set, length } from "@extism/as-pdk/lib/env";
import { JSONValue, parse, quote } from "./json";

@external("extism:host/user", "browser_download")
declare function host_browser_download(request: u64): u64;

@external("extism:host/user", "log")
declare function host_log(request: u64): void;

@external("extism:host/user", "config_get")
declare function host_config_get(key: u64): u64;

@external("wasi_snapshot_preview1", "clock_time_get")
declare function wasi_clock_time_get(clock: u32, precision: u64, time: usize): u16;

@external("wasi_snapshot_preview1", "poll_oneoff")
declare function wasi_poll_oneoff(subscriptions: usize, events: usize, count: usize, eventCount: usize): u16;

function block(text: string): Memory {
  return Memory.allocateString(text);
}

function readBlock(offset: u64): string | null {
  if (offset == 0) return null;
  return new Memory(offset, length(offset)).toString();
}

/** Sends a log line to the host's logger for this plugin. `level`: debug | info | warn | error. */
export function log(level: string, message: string): void {
  const mem = block("{\"level\":" + quote(level) + ",\"message\":" + quote(message) + "}");
  host_log(mem.offset);
  mem.free();
}

export function logDebug(message: string): void { log("debug", message); }
export function logInfo(message: string): void { log("info", message); }
export function logWarn(message: string): void { log("warn", message); }
export function logError(message: string): void { log("error", message); }

/** The host app's configuration value for `key` (non-strings arrive as JSON text), or null. */
export function config(key: string): string | null {
  const mem = block(key);
  const value = readBlock(host_config_get(mem.offset));
  mem.free();
  return value;
}

/** What `browserDownload` returns: `ok` with the file's details, or `error` with the host's reason. */
export class DownloadResult {
  ok: bool = false;
  error: string = "";
  path: string = "";
  bytes: f64 = 0;
  sha256: string = "";
  contentType: string = "";
}

/**
 * Asks the host to download `url` into this plugin's data dir, applying the plugin's
 * `browserCdn.downloadRules` and `network.allowedHosts`. Blocks until the download ends.
 */
export function browserDownload(url: string): DownloadResult {
  const mem = block("{\"url\":" + quote(url) + "}");
  const text = readBlock(host_browser_download(mem.offset));
  mem.free();
  const result = new DownloadResult();
  const value: JSONValue | null = text === null ? null : parse(text);
  if (value === null || !value.isObject()) {
    result.error = "host returned no download result";
  } else if (value.has("error")) {
    result.error = value.getString("error", "download failed");
  } else {
    result.ok = true;
    result.path = value.getString("path");
    result.bytes = value.getNumber("bytes");
    result.sha256 = value.getString("sha256");
    result.contentType = value.getString("contentType");
  }
  return result;
}

/** Wall-clock milliseconds since the epoch (WASI `clock_time_get`; the module then imports WASI). */
export function now(): i64 {
  const buf = new ArrayBuffer(8);
  const ptr = changetype<usize>(buf);
  if (wasi_clock_time_get(0, 1000, ptr) != 0) return 0;
  return load<i64>(ptr) / 1_000_000;
}

/** Blocks for `ms` milliseconds without burning CPU (WASI `poll_oneoff` on a relative clock). */
export function sleep(ms: i64): void {
  if (ms <= 0) return;
  const sub = new ArrayBuffer(48); // subscription: userdata u64, tag u8, clock { id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40 }
  const ev = new ArrayBuffer(32);
  const out = new ArrayBuffer(4);
  const s = changetype<usize>(sub);
  store<u8>(s + 8, 0); // eventtype clock
  store<u32>(s + 16, 1); // monotonic
  store<u64>(s + 24, <u64>ms * 1_000_000);
  store<u64>(s + 32, 1_000_000);
  store<u16>(s + 40, 0); // relative timeout
  wasi_poll_oneoff(s, changetype<usize>(ev), 1, changetype<usize>(out));
}

/** Reports `message` as the call's error (Extism `error_set`). */
export function setError(message: string): void {
  const mem = block(message);
  error_set(mem.offset);
}
