/**
 * `copper_data init <dir>`: lays out a copper project made for DVC experiments in a folder:
 *
 *   dvc.yaml           stages prepare (copper_data), train (copper_train --params-file params.yaml)
 *                      and eval (copper_eval writing metrics.json and eval/predictions.csv)
 *   params.yaml        the settings, as copper_train's config keys
 *   conf/config.yaml   the same keys as a Hydra config, for DVC's Hydra composition (hydra.enabled)
 *   .gitignore         copper's run folders (logs/)
 *
 * and, when asked, `git init` and `dvc init` there. Files that exist are never overwritten: the
 * command stops before writing anything when one of its files is already there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CopperError } from './utils/errors.js';

export const TEMPLATE_DIR = fileURLToPath(new URL('../template', import.meta.url));

export interface InitProjectOptions {
  /** `git init` the folder (unless it is already a git repository's top folder). */
  git?: boolean;
  /** `dvc init` the folder (implies git). */
  dvc?: boolean;
}

export interface InitProjectResult {
  dir: string;
  /** Files written, relative to dir, in order. */
  files: string[];
  gitInit: boolean;
  dvcInit: boolean;
}

const CONF_HEADER = `# params.yaml as a Hydra config, for DVC's Hydra composition. After
#   dvc config hydra.enabled true
# \`dvc exp run\` composes params.yaml from this folder (conf/config.yaml) before each run, with
# -S overrides in Hydra's grammar (sweeps too: -S 'model.optimizer.lr=range(0.001,0.01,0.003)' --queue).
# Until then params.yaml is the one read; keep both with the same keys.
`;

/** The files of a new project: path relative to the project folder -> contents. */
export function projectFiles(): Array<[string, string]> {
  const read = (name: string) => readFileSync(join(TEMPLATE_DIR, name), 'utf8');
  const params = read('params.yaml');
  // conf/config.yaml: params.yaml's keys under its own header (params.yaml's first comment block dropped)
  const body = params.replace(/^(#[^\n]*\n)+\n?/, '');
  return [
    ['dvc.yaml', read('dvc.yaml')],
    ['params.yaml', params],
    ['conf/config.yaml', CONF_HEADER + '\n' + body],
    // stored without its dot: npm leaves .gitignore files out of packages
    ['.gitignore', read('gitignore')],
  ];
}

function run(cmd: string, args: string[], cwd: string, what: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error) throw new CopperError(`${what} failed: ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${cmd} is not installed` : r.error.message}`);
  if (r.status !== 0) throw new CopperError(`${what} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
}

/** The dvc CLI of @copper/dvc (node <path>), so `dvc init` needs no global install. */
function dvcCli(): string[] {
  const pkg = fileURLToPath(import.meta.resolve('@copper/dvc/package.json'));
  return [process.execPath, join(dirname(pkg), 'bin', 'dvc.js')];
}

export function initProject(dirArg: string, opts: InitProjectOptions = {}): InitProjectResult {
  const dir = resolve(dirArg);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CopperError(`${dirArg} exists and is not a folder`);
  const files = projectFiles();
  const there = files.map(([rel]) => rel).filter((rel) => existsSync(join(dir, rel)));
  if (there.length) throw new CopperError(`${there.map((r) => join(dirArg, r)).join(', ')} already ${there.length > 1 ? 'exist' : 'exists'}: not overwriting (copper_data init writes new files only)`);
  const wantGit = !!(opts.git || opts.dvc);
  const wantDvc = !!opts.dvc;
  if (wantDvc && existsSync(join(dir, '.dvc'))) throw new CopperError(`${join(dirArg, '.dvc')} already exists: the folder is a DVC project already (leave out --dvc)`);
  mkdirSync(dir, { recursive: true });
  for (const [rel, text] of files) {
    const abs = join(dir, rel);
    mkdirSync(dirname(abs), { recursive: true });
    const tmp = `${abs}.tmp-${process.pid}`;
    writeFileSync(tmp, text, { flag: 'wx' });
    renameSync(tmp, abs);
  }
  let gitInit = false;
  if (wantGit && !existsSync(join(dir, '.git'))) {
    run('git', ['init', '-q'], dir, 'git init');
    gitInit = true;
  }
  if (wantDvc) {
    const [node, cli] = dvcCli() as [string, string];
    run(node, [cli, 'init', '-q'], dir, 'dvc init');
  }
  return { dir, files: files.map(([rel]) => rel), gitInit, dvcInit: wantDvc };
}
