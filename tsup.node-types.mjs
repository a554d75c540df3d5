// Shared tsup config of the packages whose public declarations use Node's types (EventEmitter,
// streams, NodeJS.*). TypeScript 6 no longer loads @types/* unless `types` lists them, so each
// emitted .d.ts references @types/node itself (a dependency of those packages): a consumer
// type-checks with skipLibCheck off and no @types/node of its own. Entries and formats come from
// each package's build script.
export default {
  dts: { banner: '/// <reference types="node" />' },
};
