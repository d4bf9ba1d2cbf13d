/** @copper/dvc: the library API (the `dvc` CLI is a thin layer over it). */
export * from './errors.js';
export type { FileSystem } from './fs/types.js';
