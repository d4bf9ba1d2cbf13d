/** Hydra's command line flags (argparse-compatible forms: `--cfg job`, `--cfg=job`, `-cn name`). */
import { HydraError } from '../errors.js';

export interface HydraArgs {
  help: boolean;
  hydraHelp: boolean;
  version: boolean;
  cfg: 'job' | 'hydra' | 'all' | null;
  resolve: boolean;
  package: string | null;
  run: boolean;
  multirun: boolean;
  configPath: string | null;
  configName: string | null;
  configDir: string | null;
  info: string | null;
  shellCompletion: boolean;
  overrides: string[];
}

export const FLAGS_HELP = `--help,-h : Application's help
--hydra-help : Hydra's help
--version : Show Hydra's version and exit
--cfg,-c : Show config instead of running [job|hydra|all]
--resolve : Used in conjunction with --cfg, resolve config interpolations before printing.
--package,-p : Config package to show
--run,-r : Run a job
--multirun,-m : Run multiple jobs with the configured launcher and sweeper
--config-path,-cp : Overrides the configPath given to main().
                    The config path is absolute or relative to the script that calls main()
--config-name,-cn : Overrides the configName given to main()
--config-dir,-cd : Adds an additional config dir to the config search path
--info,-i : Print Hydra information [all|config|defaults|defaults-tree|plugins|searchpath]
Overrides : Any key=value arguments to override config values (use dots for.nested=overrides)`;

const INFO_CHOICES = ['all', 'config', 'defaults', 'defaults-tree', 'plugins', 'searchpath'];

export function parseArgs(argv: string[]): HydraArgs {
  const a: HydraArgs = {
    help: false,
    hydraHelp: false,
    version: false,
    cfg: null,
    resolve: false,
    package: null,
    run: false,
    multirun: false,
    configPath: null,
    configName: null,
    configDir: null,
    info: null,
    shellCompletion: false,
    overrides: [],
  };
  const take = (i: number, flag: string, inline: string | undefined): [string, number] => {
    if (inline !== undefined) return [inline, i];
    const v = argv[i + 1];
    if (v === undefined || (v.startsWith('-') && v.length > 1)) throw new HydraError(`argument ${flag}: expected one argument`);
    return [v, i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      a.overrides.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const inline = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : undefined;
    switch (flag) {
      case '-h':
      case '--help':
        a.help = true;
        break;
      case '--hydra-help':
        a.hydraHelp = true;
        break;
      case '--version':
        a.version = true;
        break;
      case '--resolve':
        a.resolve = true;
        break;
      case '-r':
      case '--run':
        a.run = true;
        break;
      case '-m':
      case '--multirun':
        a.multirun = true;
        break;
      case '-sc':
      case '--shell-completion':
        a.shellCompletion = true;
        break;
      case '-c':
      case '--cfg': {
        const [v, j] = take(i, '--cfg/-c', inline);
        if (v !== 'job' && v !== 'hydra' && v !== 'all') throw new HydraError(`argument --cfg/-c: invalid choice: '${v}' (choose from 'job', 'hydra', 'all')`);
        a.cfg = v;
        i = j;
        break;
      }
      case '-p':
      case '--package': {
        const [v, j] = take(i, '--package/-p', inline);
        a.package = v;
        i = j;
        break;
      }
      case '-cp':
      case '--config-path': {
        const [v, j] = take(i, '--config-path/-cp', inline);
        a.configPath = v;
        i = j;
        break;
      }
      case '-cn':
      case '--config-name': {
        const [v, j] = take(i, '--config-name/-cn', inline);
        a.configName = v;
        i = j;
        break;
      }
      case '-cd':
      case '--config-dir': {
        const [v, j] = take(i, '--config-dir/-cd', inline);
        a.configDir = v;
        i = j;
        break;
      }
      case '-i':
      case '--info': {
        let v = inline;
        if (v === undefined && argv[i + 1] !== undefined && INFO_CHOICES.includes(argv[i + 1]!)) v = argv[++i];
        v = v ?? 'all';
        if (!INFO_CHOICES.includes(v)) throw new HydraError(`argument --info/-i: invalid choice: '${v}' (choose from ${INFO_CHOICES.map((c) => `'${c}'`).join(', ')})`);
        a.info = v;
        break;
      }
      default:
        throw new HydraError(`unrecognized arguments: ${arg} (see --help; overrides look like key=value)`);
    }
  }
  if (a.run && a.multirun) throw new HydraError('Only one of --run and --multirun can be specified');
  return a;
}
