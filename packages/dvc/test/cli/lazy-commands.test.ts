/**
 * `dvc <command>` registers only that command's file (start-up): the table that maps names to
 * files must agree with the full command tree, or a command would answer differently alone.
 */
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { describe, test } from 'node:test';
import { allCommands, COMMAND_FILES, NEEDS_FULL_TREE, commandWord } from '../../src/cli/commands/lazy.js';

const commands = await allCommands();
import { sandbox } from './helpers.js';

describe('dvc loads one command file per command', () => {
  const full = new Command('dvc');
  for (const register of commands) register(full);
  const names = full.commands.flatMap((c) => [c.name(), ...c.aliases()]).filter((n) => !NEEDS_FULL_TREE.has(n));

  test('every command name and alias has its file, and nothing else is listed', () => {
    assert.deepEqual([...names].sort(), Object.keys(COMMAND_FILES).sort());
  });

  test("each file registers the command it is listed for, with the full tree's options", async () => {
    for (const name of names) {
      const alone = new Command('dvc');
      (await COMMAND_FILES[name]!()).register(alone);
      const cmd = alone.commands.find((c) => c.name() === name || c.aliases().includes(name));
      assert.ok(cmd, `${name}: its file did not register it`);
      const want = full.commands.find((c) => c.name() === cmd.name())!;
      assert.deepEqual(cmd.options.map((o) => o.flags), want.options.map((o) => o.flags), name);
      assert.deepEqual(cmd.commands.map((c) => c.name()), want.commands.map((c) => c.name()), name);
    }
  });

  test('the command word skips global options and --cd <path>', () => {
    assert.equal(commandWord(['-q', '--cd', 'status', 'add', 'x']), 'add');
    assert.equal(commandWord(['-v']), undefined);
  });

  test('an alias, --cd and a typo behave as with every command registered', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    const r = s.dvc(['--cd', '.', 'doctor']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^DVC version: 3\./);
    const t = s.dvc(['statu']);
    assert.equal(t.code, 254);
    assert.match(t.stderr, /^ERROR: unknown command 'statu' \(Did you mean status\?\)\n$/);
  });
});
