import type { Command } from 'commander';
import { addDiffCommand } from './metrics.js';

export function register(program: Command): void {
  const params = program.command('params').description('Commands to display params.');
  addDiffCommand(params, 'params');
}
