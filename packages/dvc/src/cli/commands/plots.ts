/**
 * `dvc plots show | diff | modify | templates` (DVC 3.64's commands/plots.py): plots are drawn with
 * dvc-render's vega-lite templates (formats/vega.ts) into `<out>/index.html` (the page's file URL
 * is printed), or printed with --json / --show-vega. Data comes from repo/plots.ts.
 */
import { Option, type Command } from 'commander';
import { outputFor, type Output } from '../output.js';

interface PropsOpts {
  template?: string | true;
  x?: string;
  y?: string;
  header?: boolean;
  title?: string;
  xLabel?: string;
  yLabel?: string;
}

interface UiOpts extends PropsOpts {
  out?: string;
  showVega?: boolean;
  json?: boolean;
  open?: boolean;
  htmlTemplate?: string;
}

function addProps(c: Command): Command {
  return c
    .option('-t, --template [path]', 'Special JSON or HTML schema file to inject with the data. See https://man.dvc.org/plots#plot-templates')
    .option('-x <field>', 'Field name for X axis.')
    .option('-y <field>', 'Field name for Y axis.')
    .option('--no-header', 'Provided CSV or TSV datafile does not have a header.')
    .option('--title <text>', 'Plot title.')
    .option('--x-label <text>', 'X axis label')
    .option('--y-label <text>', 'Y axis label');
}

function addUi(c: Command): Command {
  return c
    .option('-o, --out <path>', 'Directory to save plots to.')
    .option('--show-vega', 'Show output in Vega format.')
    .option('--json', 'Show output in JSON format.')
    .option('--open', 'Open plot file directly in the browser.')
    .option('--html-template <path>', 'Custom HTML template for VEGA visualization.');
}

/** Only the props given on the command line (they override the plot definitions), in DVC's PLOT_PROPS order. */
function props(o: PropsOpts, cmd: Command): import('../../repo/plots.js').PlotProps {
  const p: import('../../repo/plots.js').PlotProps = {};
  if (typeof o.template === 'string') p.template = o.template;
  if (o.x !== undefined) p.x = o.x;
  if (o.y !== undefined) p.y = o.y;
  if (o.xLabel !== undefined) p.x_label = o.xLabel;
  if (o.yLabel !== undefined) p.y_label = o.yLabel;
  if (o.title !== undefined) p.title = o.title;
  // commander sets header: true by default for --no-header; only an explicit --no-header counts
  if (cmd.getOptionValueSource('header') === 'cli') p.header = false;
  return p;
}

function jsonOut(out: Output, v: import('../../formats/vega.js').JsonValue, dump: typeof import('../../formats/vega.js').pyJsonDump): void {
  // DVC's ui.write_json: indented on a terminal, one line otherwise
  out.print(dump(v, process.stdout.isTTY ? 2 : undefined));
}

/** Opens a file URL in the browser (xdg-open / open); false when none could be started. */
async function openBrowser(url: string): Promise<boolean> {
  const { spawn } = await import('node:child_process');
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  return new Promise((done) => {
    try {
      const p = spawn(cmd, [url], { stdio: 'ignore', detached: true });
      p.on('error', () => done(false));
      p.on('spawn', () => {
        p.unref();
        done(true);
      });
    } catch {
      done(false);
    }
  });
}

/** CmdPlots.run for show (revs undefined) and diff. */
async function runPlots(kind: 'show' | 'diff', targets: string[], revs: string[] | undefined, o: UiOpts, cmd: Command): Promise<void> {
  const out = outputFor(cmd);
  const { DvcError } = await import('../../errors.js');
  if (o.showVega) {
    if (!targets.length) return fail(out, 'please specify a target for `--show-vega`');
    if (targets.length > 1) return fail(out, 'you can only specify one target for `--show-vega`');
    if (o.json) return fail(out, "'--show-vega' and '--json' are mutually exclusive options.");
  }
  const { Repo } = await import('../../repo/repo.js');
  const lib = await import('../../repo/plots.js');
  const vega = await import('../../formats/vega.js');
  const { join } = await import('node:path');
  const repo = Repo.open();
  try {
    let revisions: string[] | undefined = revs;
    let data = new Map<string, import('../../repo/plots.js').RevPlots>();
    if (kind === 'diff') {
      const r = await lib.diffRevisions(repo, revs ?? []);
      revisions = r ?? undefined;
      if (r) data = await lib.collectPlots(repo, { targets, revs: r, props: props(o, cmd) });
    } else data = await lib.collectPlots(repo, { targets, props: props(o, cmd) });
    void revisions;
    const errored = lib.erroredRevisions(data);
    if (errored.length) process.stderr.write(`DVC failed to load some plots for following revisions: '${errored.join(', ')}'.\n`);
    if (!data.size && !o.json) process.stderr.write('No plots were loaded, visualization file will not be created.\n');
    const matched = lib.matchRenderers(data, join(repo.dvcDir, 'plots'));
    for (const m of matched) for (const [rev, e] of m.definitionErrors) out.warn(`In '${rev}', ${e.msg.toLowerCase()}`);
    if (o.json) return jsonOut(out, lib.plotsJson(matched), vega.pyJsonDump);
    const renderers = matched.map((m) => m.renderer);
    if (o.showVega) {
      if (renderers[0]) jsonOut(out, renderers[0].filled(), vega.pyJsonDump);
      return;
    }
    if (!renderers.length) return;
    const file = lib.writePlotsPage(repo, renderers, { out: o.out, htmlTemplate: o.htmlTemplate });
    const { pathToFileURL } = await import('node:url');
    const url = pathToFileURL(file).href;
    out.print(url);
    const autoOpen = repo.config.get('plots', 'auto_open') === true;
    if (o.open || autoOpen) {
      if (!autoOpen) out.info('To enable auto opening, you can run:\n\n\tdvc config plots.auto_open true');
      if (!(await openBrowser(url))) {
        process.stderr.write(`Failed to open ${url}. Please try opening it manually.\n`);
        process.exitCode = 1;
      }
    }
  } catch (e) {
    // DVC's CmdPlots: any DvcException -> "ERROR: <message>", exit 1
    if (e instanceof DvcError) return fail(out, e.message);
    throw e;
  }
}

function fail(out: Output, msg: string): void {
  out.error(msg);
  process.exitCode = 1;
}

export function register(program: Command): void {
  const plots = program.command('plots').description('Commands to visualize and compare plot data.');
  addUi(
    addProps(
      plots
        .command('show')
        .description('Generate plots from target files or from `plots` definitions in `dvc.yaml`.')
        .argument('[targets...]', 'Plots files or plot IDs from `dvc.yaml` to visualize. Shows all plots by default.'),
    ),
  ).action((targets: string[], o: UiOpts, cmd: Command) => runPlots('show', targets, undefined, o, cmd));

  addUi(
    addProps(
      plots
        .command('diff')
        .description('Show multiple versions of a plot by overlaying them in a single image.')
        .argument('[revisions...]', 'Git commits to plot from')
        .option('--targets <paths...>', 'Specific plots to visualize. Accepts any file path or plot name from `dvc.yaml` file. Shows all tracked plots by default.'),
    ),
  ).action((revisions: string[], o: UiOpts & { targets?: string[] }, cmd: Command) => runPlots('diff', o.targets ?? [], revisions, o, cmd));

  addProps(
    plots
      .command('modify')
      .description('Modify display properties of data-series plots defined in stages (has no effect on image plots).')
      .argument('<target>', 'Plots file to set properties for (defined at the stage level).'),
  )
    .addOption(new Option('--unset [property...]', 'Unset one or more display properties.'))
    .action(async (target: string, o: PropsOpts & { unset?: string[] | true }, cmd: Command) => {
      const out = outputFor(cmd);
      const { Repo } = await import('../../repo/repo.js');
      const { plotsModify } = await import('../../repo/plots-modify.js');
      const { withDvcExit } = await import('../../repo/pipeline.js');
      const unset = o.unset === undefined ? undefined : o.unset === true ? [] : o.unset;
      // DVC's CmdPlotsModify lets errors reach main(): exit 255
      const r = await withDvcExit(() => plotsModify(Repo.open(), target, props(o, cmd), unset));
      out.info(`Modifying stage '${r.stage}' in '${r.file}'`);
    });

  plots
    .command('templates')
    .description('List built-in plots templates or show JSON specification for one.')
    .argument('[template]', 'Template for which to show JSON specification. List all template names by default.')
    .action(async (template: string | undefined, _o: unknown, cmd: Command) => {
      const out = outputFor(cmd);
      const vega = await import('../../formats/vega.js');
      const { Repo } = await import('../../repo/repo.js');
      Repo.open(); // DVC's CmdBase: inside a repository
      if (template === undefined) {
        for (const n of vega.TEMPLATE_NAMES) out.print(n);
        return;
      }
      const content = vega.builtinTemplate(template);
      if (!content) return fail(out, `Unexpected template: ${template}.`);
      jsonOut(out, content, vega.pyJsonDump);
    });
}
