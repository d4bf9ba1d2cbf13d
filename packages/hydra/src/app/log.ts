/**
 * Job logging configured from `hydra.job_logging` / `hydra.hydra_logging` (the same dicts as
 * Python's logging.config): root level, console and file handlers, `%(asctime)s`-style formats,
 * colorlog colors on a TTY. A task gets its logger with getLogger(name).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Level = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
const LEVELS: Record<Level, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };

interface Handler {
  level: number;
  format: string;
  color: boolean;
  logColors: Record<string, string>;
  write(line: string): void;
}

interface LoggingState {
  rootLevel: number;
  handlers: Handler[];
  loggerLevels: Record<string, number>;
}

const COLORS: Record<string, string> = {
  black: '\x1b[30m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  purple: '\x1b[35m',
  cyan: '\x1b[36m',
  white: '\x1b[37m',
  bold_red: '\x1b[1;31m',
  reset: '\x1b[0m',
};

let jobState: LoggingState = { rootLevel: LEVELS.INFO, handlers: [consoleHandler('[%(asctime)s][%(name)s][%(levelname)s] - %(message)s')], loggerLevels: {} };
let hydraState: LoggingState = { rootLevel: LEVELS.INFO, handlers: [consoleHandler('[%(asctime)s][HYDRA] %(message)s')], loggerLevels: {} };

function consoleHandler(format: string, color = false, logColors: Record<string, string> = {}, level = 0): Handler {
  return {
    level,
    format,
    color: color && process.stdout.isTTY === true,
    logColors,
    write: (line) => {
      if (!quiet) process.stdout.write(line + '\n');
    },
  };
}

let quiet = false;
/** Quiet mode (`-q`, tests): console handlers print nothing; log files are still written. */
export function setQuiet(q: boolean): void {
  quiet = q;
}

function asctime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

function format(h: Handler, name: string, level: Level, message: string): string {
  const d = new Date();
  return h.format.replace(/%\(([a-z_]+)\)(-?\d*)([sd])/g, (_m, key: string, width: string) => {
    let v: string;
    switch (key) {
      case 'asctime':
        v = asctime(d);
        break;
      case 'name':
        v = name;
        break;
      case 'levelname':
        v = level;
        break;
      case 'message':
        v = message;
        break;
      case 'levelno':
        v = String(LEVELS[level]);
        break;
      case 'process':
        v = String(process.pid);
        break;
      case 'log_color':
        v = h.color ? (COLORS[h.logColors[level] ?? ''] ?? '') : '';
        break;
      default:
        v = key in COLORS ? (h.color ? COLORS[key]! : '') : '';
    }
    if (width) {
      const w = Number(width);
      v = w < 0 ? v.padEnd(-w) : v.padStart(w);
    }
    return v;
  });
}

/** Builds logging state from a logging config dict (already resolved to plain values). */
export function configureFromDict(cfg: unknown, which: 'job' | 'hydra' = 'job'): void {
  const state: LoggingState = { rootLevel: LEVELS.INFO, handlers: [], loggerLevels: {} };
  const c = (cfg ?? {}) as Record<string, any>;
  const root = c.root as Record<string, any> | null | undefined;
  if (root === null || root === undefined) {
    // `none`: no handlers configured
    state.rootLevel = LEVELS.WARNING;
  } else {
    state.rootLevel = LEVELS[(String(root.level ?? 'INFO').toUpperCase() as Level)] ?? LEVELS.INFO;
    const formatters = (c.formatters ?? {}) as Record<string, any>;
    const handlers = (c.handlers ?? {}) as Record<string, any>;
    for (const hn of (root.handlers ?? []) as string[]) {
      const h = handlers[hn];
      if (!h) continue;
      const f = formatters[h.formatter] ?? {};
      const fmt = String(f.format ?? '%(message)s');
      const isColor = typeof f['()'] === 'string' && String(f['()']).includes('colorlog');
      const level = h.level ? (LEVELS[String(h.level).toUpperCase() as Level] ?? 0) : 0;
      const cls = String(h.class ?? '');
      if (cls.endsWith('FileHandler')) {
        const file = String(h.filename);
        let ready = false;
        const mode = h.mode === 'w' ? 'w' : 'a';
        let first = true;
        state.handlers.push({
          level,
          format: fmt,
          color: false,
          logColors: {},
          write: (line) => {
            if (!ready) {
              mkdirSync(dirname(file), { recursive: true });
              ready = true;
            }
            appendFileSync(file, line + '\n', first && mode === 'w' ? { flag: 'w' } : undefined);
            first = false;
          },
        });
      } else {
        const toStderr = String(h.stream ?? '').includes('stderr');
        state.handlers.push({
          level,
          format: fmt,
          color: isColor && (toStderr ? process.stderr.isTTY === true : process.stdout.isTTY === true),
          logColors: (f.log_colors ?? {}) as Record<string, string>,
          write: (line) => {
            if (!quiet) (toStderr ? process.stderr : process.stdout).write(line + '\n');
          },
        });
      }
    }
  }
  for (const [name, l] of Object.entries((c.loggers ?? {}) as Record<string, any>)) {
    if (l && l.level) state.loggerLevels[name] = LEVELS[String(l.level).toUpperCase() as Level] ?? LEVELS.INFO;
  }
  if (which === 'job') jobState = state;
  else hydraState = state;
}

export interface Logger {
  name: string;
  debug(msg: string): void;
  info(msg: string): void;
  warning(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  critical(msg: string): void;
}

function makeLogger(name: string, state: () => LoggingState): Logger {
  const log = (level: Level, msg: string) => {
    const s = state();
    let threshold = s.rootLevel;
    for (const [ln, lv] of Object.entries(s.loggerLevels)) if (name === ln || name.startsWith(ln + '.')) threshold = lv;
    if (LEVELS[level] < threshold) return;
    for (const h of s.handlers) if (LEVELS[level] >= h.level) h.write(format(h, name, level, msg));
  };
  return {
    name,
    debug: (m) => log('DEBUG', m),
    info: (m) => log('INFO', m),
    warning: (m) => log('WARNING', m),
    warn: (m) => log('WARNING', m),
    error: (m) => log('ERROR', m),
    critical: (m) => log('CRITICAL', m),
  };
}

/** A logger for the job (configured by hydra.job_logging for each run). */
export function getLogger(name = '__main__'): Logger {
  return makeLogger(name, () => jobState);
}
/** Hydra's own logger ("[HYDRA] Launching 2 jobs locally"). */
export const hydraLog: Logger = makeLogger('hydra', () => hydraState);
