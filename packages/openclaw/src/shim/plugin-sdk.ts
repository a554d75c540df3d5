/** clawdesk's stand-in for the root `openclaw/plugin-sdk` import: the union of the subpaths it shims. */
export * from './core.js';
