// `@clawdesk/sandbox/require-node`: imported for its effect, as the FIRST import of every package
// entry (and the CLI), so an old Node stops here — before any dependency is evaluated — with one
// UnsupportedNodeError naming the version needed, instead of a TypeError from inside a dependency.
import { assertSupportedNode } from './node-version.js';

assertSupportedNode();
