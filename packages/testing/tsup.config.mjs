export { default } from '../../tsup.node-types.mjs';
