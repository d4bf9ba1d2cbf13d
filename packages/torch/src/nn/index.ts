export { Module, Parameter, type StateDict } from './module.js';
export * from './layers.js';
export * as init from './init.js';
export * as utils from './utils.js';
export * as functional from '../functional.js';
