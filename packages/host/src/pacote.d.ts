// The part of pacote 22 that install.ts uses (`@types/pacote` is not a dependency).
declare module 'pacote' {
  interface PacoteOptions {
    /** cacache directory for packuments and tarballs. */
    cache?: string;
    registry?: string;
    /** Expected SRI of the tarball, e.g. `sha512-…`. */
    integrity?: string;
    /** Tarball URL already known (skips resolving it again). */
    resolved?: string;
    /** Only the cache; a miss fails with `ENOTCACHED`. */
    offline?: boolean;
    preferOnline?: boolean;
    fullMetadata?: boolean;
    signal?: AbortSignal;
    [option: string]: unknown;
  }

  interface PacoteManifest {
    name: string;
    version: string;
    _resolved?: string;
    _integrity?: string;
    _from?: string;
    [field: string]: unknown;
  }

  interface ExtractResult {
    resolved?: string;
    integrity?: string;
    from?: string;
  }

  function manifest(spec: string, opts?: PacoteOptions): Promise<PacoteManifest>;
  function extract(spec: string, dest: string, opts?: PacoteOptions): Promise<ExtractResult>;

  const pacote: { manifest: typeof manifest; extract: typeof extract };
  export default pacote;
  export { extract, manifest, type ExtractResult, type PacoteManifest, type PacoteOptions };
}
