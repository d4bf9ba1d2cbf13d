/**
 * Hydra's own config groups (the `hydra` node): run/sweep dirs, launcher, sweeper, help texts,
 * logging presets. Same keys and defaults as Hydra 1.3, written for this package; the logging
 * configs are read by app/log.ts (format, level, file handler) rather than by Python's logging.
 */
const HYDRA_CONFIG = `defaults:
  - output: default
  - launcher: basic
  - sweeper: basic
  - help: default
  - hydra_help: default
  - hydra_logging: default
  - job_logging: default
  - callbacks: null
  - env: default

mode: null
searchpath: []
run:
  dir: ???
sweep:
  dir: ???
  subdir: ???
hydra_logging: ???
job_logging: ???
sweeper: ???
launcher: ???
callbacks: {}
help:
  app_name: ???
  header: ???
  footer: ???
  template: ???
hydra_help:
  hydra_help: ???
  template: ???
output_subdir: .hydra
overrides:
  hydra: []
  task: []
job:
  name: ???
  chdir: null
  override_dirname: ???
  id: ???
  num: ???
  config_name: ???
  env_set: {}
  env_copy: []
  config:
    override_dirname:
      kv_sep: '='
      item_sep: ','
      exclude_keys: []
runtime:
  version: ???
  version_base: ???
  cwd: ???
  config_sources: ???
  output_dir: ???
  choices: {}
verbose: false
`;

const OUTPUT_DEFAULT = `# @package hydra

run:
  dir: outputs/\${now:%Y-%m-%d}/\${now:%H-%M-%S}
sweep:
  dir: multirun/\${now:%Y-%m-%d}/\${now:%H-%M-%S}
  subdir: \${hydra.job.num}
`;

const HELP_DEFAULT = `# App name, override to match the name your app is known by
app_name: \${hydra.job.name}

# Help header, customize to describe your app to your users
header: |
  \${hydra.help.app_name} is powered by Hydra.

footer: |
  Powered by Hydra (https://hydra.cc)
  Use --hydra-help to view Hydra specific help

template: |
  \${hydra.help.header}
  == Configuration groups ==
  Compose your configuration from those groups (group=option)

  $APP_CONFIG_GROUPS

  == Config ==
  Override anything in the config (foo.bar=value)

  $CONFIG

  \${hydra.help.footer}
`;

const HYDRA_HELP_DEFAULT = `template: |
  Hydra (\${hydra.runtime.version})
  See https://hydra.cc for more info.

  == Flags ==
  $FLAGS_HELP

  == Configuration groups ==
  Compose your configuration from those groups (For example, append hydra/job_logging=disabled to command line)

  $HYDRA_CONFIG_GROUPS

  Use '--cfg hydra' to Show the Hydra config.
`;

const HYDRA_LOGGING_DEFAULT = `version: 1
formatters:
  simple:
    format: '[%(asctime)s][HYDRA] %(message)s'
handlers:
  console:
    class: logging.StreamHandler
    formatter: simple
    stream: ext://sys.stdout
root:
  level: INFO
  handlers:
  - console
loggers:
  logging_example:
    level: DEBUG
disable_existing_loggers: false
`;

const JOB_LOGGING_DEFAULT = `version: 1
formatters:
  simple:
    format: '[%(asctime)s][%(name)s][%(levelname)s] - %(message)s'
handlers:
  console:
    class: logging.StreamHandler
    formatter: simple
    stream: ext://sys.stdout
  file:
    class: logging.FileHandler
    formatter: simple
    filename: \${hydra.runtime.output_dir}/\${hydra.job.name}.log
root:
  level: INFO
  handlers:
  - console
  - file
disable_existing_loggers: false
`;

const DISABLED = `version: 1
root:
  level: ERROR
disable_existing_loggers: true
`;
const NONE = `version: 1
root: null
disable_existing_loggers: false
`;

const JOB_LOGGING_STDOUT = `version: 1
formatters:
  simple:
    format: '%(message)s'
handlers:
  console:
    class: logging.StreamHandler
    formatter: simple
    stream: ext://sys.stdout
root:
  level: INFO
  handlers:
  - console
disable_existing_loggers: false
`;

const HYDRA_LOGGING_DEBUG = `version: 1
formatters:
  simple:
    format: '[%(asctime)s][%(name)s][%(levelname)s] - %(message)s'
handlers:
  file:
    class: logging.FileHandler
    mode: w
    formatter: simple
    filename: hydra-\${hydra.job.name}.log
    delay: true
root:
  level: ERROR
  handlers:
  - file
loggers:
  hydra:
    level: DEBUG
disable_existing_loggers: false
`;

// The hydra-colorlog plugin's presets (colored console output, plain file output).
const HYDRA_LOGGING_COLORLOG = `version: 1
formatters:
  colorlog:
    (): colorlog.ColoredFormatter
    format: '[%(cyan)s%(asctime)s%(reset)s][%(purple)sHYDRA%(reset)s] %(message)s'
handlers:
  console:
    class: logging.StreamHandler
    formatter: colorlog
    stream: ext://sys.stdout
root:
  level: INFO
  handlers:
  - console
disable_existing_loggers: false
`;

const JOB_LOGGING_COLORLOG = `version: 1
formatters:
  simple:
    format: '[%(asctime)s][%(name)s][%(levelname)s] - %(message)s'
  colorlog:
    (): colorlog.ColoredFormatter
    format: '[%(cyan)s%(asctime)s%(reset)s][%(blue)s%(name)s%(reset)s][%(log_color)s%(levelname)s%(reset)s] - %(message)s'
    log_colors:
      DEBUG: purple
      INFO: green
      WARNING: yellow
      ERROR: red
      CRITICAL: red
handlers:
  console:
    class: logging.StreamHandler
    formatter: colorlog
    stream: ext://sys.stdout
  file:
    class: logging.FileHandler
    formatter: simple
    filename: \${hydra.runtime.output_dir}/\${hydra.job.name}.log
root:
  level: INFO
  handlers:
  - console
  - file
disable_existing_loggers: false
`;

const LAUNCHER_BASIC = `_target_: hydra._internal.core_plugins.basic_launcher.BasicLauncher
`;
const SWEEPER_BASIC = `_target_: hydra._internal.core_plugins.basic_sweeper.BasicSweeper
max_batch_size: null
params: null
`;

// The Optuna sweeper plugin's configs (hydra-optuna-sweeper 1.2's keys, as Hydra 1.3.2 prints
// them; `max_failure_rate` and copper's `pruner` are added with +). copper runs them with its own
// samplers and pruners (see app/optuna.ts).
const SWEEPER_OPTUNA = `defaults:
  - sampler: tpe

_target_: hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper
direction: minimize
storage: null
study_name: null
n_trials: 20
n_jobs: 2
search_space: null
params: null
custom_search_space: null
`;
const SAMPLER_TPE = `_target_: optuna.samplers.TPESampler
seed: null
consider_prior: true
prior_weight: 1.0
consider_magic_clip: true
consider_endpoints: false
n_startup_trials: 10
n_ei_candidates: 24
multivariate: false
warn_independent_sampling: true
`;
const SAMPLER_RANDOM = `_target_: optuna.samplers.RandomSampler
seed: null
`;
const SAMPLER_GRID = `_target_: optuna.samplers.GridSampler
search_space: null
seed: null
`;

export const BUILTIN_CONFIGS: Record<string, string> = {
  'hydra/config': HYDRA_CONFIG,
  'hydra/output/default': OUTPUT_DEFAULT,
  'hydra/launcher/basic': LAUNCHER_BASIC,
  'hydra/sweeper/basic': SWEEPER_BASIC,
  'hydra/sweeper/optuna': SWEEPER_OPTUNA,
  'hydra/sweeper/sampler/tpe': SAMPLER_TPE,
  'hydra/sweeper/sampler/random': SAMPLER_RANDOM,
  'hydra/sweeper/sampler/grid': SAMPLER_GRID,
  'hydra/help/default': HELP_DEFAULT,
  'hydra/hydra_help/default': HYDRA_HELP_DEFAULT,
  'hydra/hydra_logging/default': HYDRA_LOGGING_DEFAULT,
  'hydra/hydra_logging/disabled': DISABLED,
  'hydra/hydra_logging/none': NONE,
  'hydra/hydra_logging/hydra_debug': HYDRA_LOGGING_DEBUG,
  'hydra/hydra_logging/colorlog': HYDRA_LOGGING_COLORLOG,
  'hydra/job_logging/default': JOB_LOGGING_DEFAULT,
  'hydra/job_logging/disabled': DISABLED,
  'hydra/job_logging/none': NONE,
  'hydra/job_logging/stdout': JOB_LOGGING_STDOUT,
  'hydra/job_logging/colorlog': JOB_LOGGING_COLORLOG,
  'hydra/env/default': '',
  _dummy_empty_config_: '',
};
