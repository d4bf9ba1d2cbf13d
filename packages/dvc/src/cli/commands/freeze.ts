/**
 * `dvc freeze` / `dvc unfreeze` TARGETS: stages (dvc.yaml) or `.dvc` files. Each target is
 * handled on its own; one that fails is reported as `failed to freeze 'x' - why` and the exit
 * code is 1 (DVC's CmdFreezeBase).
 */
import type { Command } from 'commander';
import { outputFor } from '../output.js';

export function register(program: Command): void {
  for (const [name, frozen] of [['freeze', true], ['unfreeze', false]] as const) {
    program
      .command(name)
      .description(`${frozen ? 'Freeze' : 'Unfreeze'} stages or .dvc files.`)
      .argument('<targets...>', `Stages or .dvc files to ${name}`)
      .action(async (targets: string[], _o: unknown, cmd: Command) => {
        const out = outputFor(cmd);
        const { Repo } = await import('../../repo/repo.js');
        const { setFrozen } = await import('../../repo/freeze.js');
        const { DvcError } = await import('../../errors.js');
        const repo = Repo.open();
        let rc = 0;
        for (const t of targets) {
          try {
            const r = await setFrozen(repo, t, frozen);
            if (r.stage !== undefined) out.info(`Modifying stage '${r.stage}' in '${r.file}'`);
          } catch (e) {
            if (!(e instanceof DvcError)) throw e;
            out.error(`failed to ${name} '${t}' - ${e.message}`);
            rc = 1;
          }
        }
        if (rc) process.exitCode = rc;
      });
  }
}
