/** `dvc plots diff | show | templates | modify` on real git repositories, with DVC's templates. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { isOneLineError, sandbox, type Sandbox } from './helpers.js';

function commit(s: Sandbox, msg: string): void {
  assert.equal(s.git(['add', '-A']).code, 0);
  const r = s.git(['commit', '-qm', msg]);
  assert.equal(r.code, 0, r.stderr);
}

/** train.csv plotted from dvc.yaml's top-level plots, in two commits and a changed workspace. */
function history(): Sandbox {
  const s = sandbox();
  assert.equal(s.dvc(['init', '-q']).code, 0);
  writeFileSync(join(s.repo, 'dvc.yaml'), 'plots:\n- train.csv:\n    x: epoch\n    y: acc\n');
  writeFileSync(join(s.repo, 'train.csv'), 'epoch,acc\n1,0.1\n2,0.2\n');
  commit(s, 'v1');
  writeFileSync(join(s.repo, 'train.csv'), 'epoch,acc\n1,0.3\n2,0.4\n');
  commit(s, 'v2');
  writeFileSync(join(s.repo, 'train.csv'), 'epoch,acc\n1,0.5\n2,0.6\n');
  return s;
}

type Spec = { data: { values: Array<Record<string, unknown>> }; title: { text: string }; encoding: Record<string, Record<string, unknown>>; mark?: unknown };

describe('dvc plots diff', () => {
  test('--json overlays the revisions named and the workspace, each datapoint tagged with its rev', () => {
    const s = history();
    const r = s.dvc(['plots', 'diff', '--json', 'HEAD~1', 'HEAD', 'workspace']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { data: Record<string, Array<{ type: string; revisions: string[]; content: Spec }>> };
    const [plot] = doc.data['train.csv']!;
    assert.equal(plot!.type, 'vega');
    assert.deepEqual(plot!.revisions, ['workspace', 'HEAD~1', 'HEAD']);
    assert.deepEqual(
      plot!.content.data.values.map((v) => [v.rev, v.epoch, v.acc]),
      [
        ['workspace', '1', '0.5'],
        ['workspace', '2', '0.6'],
        ['HEAD~1', '1', '0.1'],
        ['HEAD~1', '2', '0.2'],
        ['HEAD', '1', '0.3'],
        ['HEAD', '2', '0.4'],
      ],
    );
    assert.equal(plot!.content.encoding.x!.field, 'epoch');
    assert.deepEqual(plot!.content.encoding.color, { field: 'rev', scale: { domain: ['workspace', 'HEAD~1', 'HEAD'], range: ['#945dd6', '#13adc7', '#f46837'] } });
  });

  test('no revision: HEAD (tracked files changed) against the workspace, written as an HTML page in -o', () => {
    const s = history();
    const r = s.dvc(['plots', 'diff', '-o', 'out']);
    assert.equal(r.code, 0, r.stderr);
    const page = join(s.repo, 'out', 'index.html');
    assert.equal(r.stdout, pathToFileURL(page).href + '\n');
    const html = readFileSync(page, 'utf8');
    assert.match(html, /^<!DOCTYPE html>\n/);
    assert.match(html, /<script src="https:\/\/cdn.jsdelivr.net\/npm\/vega@5.20.2"><\/script>/);
    assert.match(html, /<div id = "train_csv">/);
    assert.match(html, /"domain": \["workspace", "HEAD"\]/);
    assert.match(html, /"acc": "0.5", "rev": "workspace"/);
    assert.match(html, /"acc": "0.3", "rev": "HEAD"/);
  });

  test('--targets, -t, -x, -y, --title, --x-label, --y-label and --show-vega', () => {
    const s = history();
    const r = s.dvc(['plots', 'diff', 'HEAD', '--show-vega', '-t', 'simple', '-x', 'acc', '-y', 'epoch', '--title', 'T', '--x-label', 'X', '--y-label', 'Y', '--targets', 'train.csv']);
    assert.equal(r.code, 0, r.stderr);
    const spec = JSON.parse(r.stdout) as Spec;
    assert.equal(spec.title.text, 'T');
    assert.deepEqual(spec.encoding.x, { field: 'acc', type: 'quantitative', title: 'X' });
    assert.deepEqual(spec.encoding.y, { field: 'epoch', type: 'quantitative', title: 'Y', scale: { zero: false } });
    assert.deepEqual(spec.mark, { type: 'line', tooltip: { content: 'data' } });
  });

  test('a plot output cached by DVC is read from the cache at an old commit', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    writeFileSync(join(s.repo, 'gen.sh'), 'printf "step,loss\\n0,$1\\n" > loss.csv\n');
    assert.equal(s.dvc(['stage', 'add', '-q', '-n', 'train', '--plots', 'loss.csv', 'sh gen.sh 0.9']).code, 0);
    assert.equal(s.dvc(['repro', '-q']).code, 0);
    commit(s, 'v1');
    writeFileSync(join(s.repo, 'dvc.yaml'), readFileSync(join(s.repo, 'dvc.yaml'), 'utf8').replace('0.9', '0.4'));
    assert.equal(s.dvc(['repro', '-q']).code, 0);
    const r = s.dvc(['plots', 'diff', '--json', 'HEAD']);
    assert.equal(r.code, 0, r.stderr);
    const values = (JSON.parse(r.stdout) as { data: Record<string, Array<{ content: Spec }>> }).data['loss.csv']![0]!.content.data.values;
    assert.deepEqual(values.map((v) => [v.rev, v.loss]), [['workspace', '0.4'], ['HEAD', '0.9']]);
  });

  test('errors: an unknown revision, a missing template, --show-vega without a target (exit 1, one line)', () => {
    const s = history();
    const bad = s.dvc(['plots', 'diff', 'nosuchrev']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, "ERROR: unknown Git revision 'nosuchrev'\n");
    const t = s.dvc(['plots', 'diff', '-t', 'nope']);
    assert.equal(t.code, 1);
    assert.equal(t.stderr, "ERROR: Template 'nope' not found.\n");
    const v = s.dvc(['plots', 'diff', '--show-vega']);
    assert.equal(v.code, 1);
    assert.ok(isOneLineError(v.stderr));
    assert.equal(v.stderr, 'ERROR: please specify a target for `--show-vega`\n');
    assert.equal(s.dvc(['plots', 'show', '--json', '--show-vega', 'train.csv']).stderr, "ERROR: '--show-vega' and '--json' are mutually exclusive options.\n");
  });

  test('a template of .dvc/plots is found by name', () => {
    const s = history();
    mkdirSync(join(s.repo, '.dvc', 'plots'));
    writeFileSync(join(s.repo, '.dvc', 'plots', 'mine.json'), '{"data": {"values": "<DVC_METRIC_DATA>"}, "mark": "bar", "width": 123, "title": "<DVC_METRIC_TITLE>"}');
    const r = s.dvc(['plots', 'show', '--show-vega', '-t', 'mine', 'train.csv']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\{"data": \{"values": \[\{"epoch": "1", "acc": "0.5", "rev": "workspace", "filename": "train.csv", "field": "acc"\}/);
    assert.match(r.stdout, /"mark": "bar", "width": 123, "title": "dvc.yaml::train.csv"\}\n$/);
  });
});

describe('dvc plots show', () => {
  test('a missing data file: the page is written with an empty spec, DVC message on stderr', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    writeFileSync(join(s.repo, 'dvc.yaml'), 'plots:\n- gone.csv\n');
    const r = s.dvc(['plots', 'show', '--json']);
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      '{"errors": [{"name": "gone.csv", "rev": "workspace", "source": "gone.csv", "type": "FileNotFoundError", "msg": "[Errno 2] No such file or directory: \'gone.csv\'"}], "data": {"gone.csv": []}}\n',
    );
    assert.equal(r.stderr, "DVC failed to load some plots for following revisions: 'workspace'.\n");
  });

  test('nothing to plot: no page, DVC message', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    const r = s.dvc(['plots', 'show']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'No plots were loaded, visualization file will not be created.\n');
    assert.ok(!existsSync(join(s.repo, 'dvc_plots')));
  });
});

describe('dvc plots show flags', () => {
  test('--no-header names the columns 0, 1, ...; --html-template fills {plot_divs}', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    writeFileSync(join(s.repo, 'raw.csv'), '1,10\n2,20\n');
    const r = s.dvc(['plots', 'show', '--show-vega', '--no-header', 'raw.csv']);
    assert.equal(r.code, 0, r.stderr);
    const spec = JSON.parse(r.stdout) as Spec;
    assert.deepEqual(spec.data.values.map((v) => [v['0'], v['1'], v.step]), [['1', '10', 0], ['2', '20', 1]]);
    assert.equal(spec.encoding.x!.field, 'step');
    writeFileSync(join(s.repo, 'page.html'), '<html><body>{plot_divs}</body></html>');
    const h = s.dvc(['plots', 'show', '--no-header', '--html-template', 'page.html', 'raw.csv']);
    assert.equal(h.code, 0, h.stderr);
    const html = readFileSync(join(s.repo, 'dvc_plots', 'index.html'), 'utf8');
    assert.match(html, /^<html><body>\n    <div id = "raw_csv">/);
    writeFileSync(join(s.repo, 'bad.html'), '<html></html>');
    const bad = s.dvc(['plots', 'show', '--html-template', 'bad.html', 'raw.csv']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, "ERROR: HTML template has to contain '{plot_divs}'.\n");
  });

  test('--open hands the page to the system opener and says how to open it automatically', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    writeFileSync(join(s.repo, 'p.csv'), 'a,b\n1,2\n');
    const bin = join(s.tmp, 'bin');
    mkdirSync(bin);
    const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
    writeFileSync(join(bin, opener), `#!/bin/sh\necho "$1" > '${join(s.tmp, 'opened')}'\n`, { mode: 0o755 });
    const r = s.dvc(['plots', 'show', '--open', 'p.csv'], { env: { PATH: `${bin}:${process.env.PATH}` } });
    assert.equal(r.code, 0, r.stderr);
    const url = pathToFileURL(join(s.repo, 'dvc_plots', 'index.html')).href;
    assert.equal(r.stdout, `${url}\nTo enable auto opening, you can run:\n\n\tdvc config plots.auto_open true\n`);
    for (let i = 0; i < 100 && !existsSync(join(s.tmp, 'opened')); i++) spawnSync('sleep', ['0.05']);
    assert.equal(readFileSync(join(s.tmp, 'opened'), 'utf8'), url + '\n');
  });
});

describe('dvc plots templates', () => {
  test('lists the built-in templates and prints one as JSON; an unknown one is exit 1', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    const l = s.dvc(['plots', 'templates']);
    assert.equal(l.stdout, 'simple\nlinear\nconfusion\nconfusion_normalized\nscatter\nscatter_jitter\nsmooth\nbar_horizontal_sorted\nbar_horizontal\n');
    const one = s.dvc(['plots', 'templates', 'scatter']);
    const spec = JSON.parse(one.stdout) as { mark: unknown; data: unknown };
    assert.deepEqual(spec.data, { values: '<DVC_METRIC_DATA>' });
    assert.ok(one.stdout.startsWith('{"$schema": "https://vega.github.io/schema/vega-lite/v5.json", '));
    const bad = s.dvc(['plots', 'templates', 'nope']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'ERROR: Unexpected template: nope.\n');
  });
});

describe('dvc plots modify', () => {
  test('turns a stage output into a plot with properties, and --unset removes them', () => {
    const s = sandbox();
    assert.equal(s.dvc(['init', '-q']).code, 0);
    assert.equal(s.dvc(['stage', 'add', '-q', '-n', 'train', '-O', 'm.csv', 'printf "a,b\\n1,2\\n" > m.csv']).code, 0);
    const r = s.dvc(['plots', 'modify', 'm.csv', '-x', 'a', '-t', 'scatter']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "Modifying stage 'train' in 'dvc.yaml'\n");
    assert.equal(
      readFileSync(join(s.repo, 'dvc.yaml'), 'utf8'),
      'stages:\n  train:\n    cmd: printf "a,b\\n1,2\\n" > m.csv\n    plots:\n    - m.csv:\n        cache: false\n        template: scatter\n        x: a\n',
    );
    assert.equal(s.dvc(['plots', 'modify', 'm.csv', '--unset', 'x']).code, 0);
    assert.match(readFileSync(join(s.repo, 'dvc.yaml'), 'utf8'), /- m.csv:\n        cache: false\n        template: scatter\n$/);
    const missing = s.dvc(['plots', 'modify', 'm.csv', '--unset', 'y']);
    assert.equal(missing.code, 255);
    assert.equal(missing.stderr, "ERROR: display properties ['y'] not found in plot 'm.csv'\n");
    const t = s.dvc(['plots', 'modify', 'm.csv', '-t', 'nope']);
    assert.equal(t.code, 255);
    assert.equal(t.stderr, "ERROR: Template 'nope' not found.\n");
    const none = s.dvc(['plots', 'modify', 'other.csv', '-x', 'a']);
    assert.equal(none.code, 255);
    assert.equal(none.stderr, "ERROR: Unable to find DVC file with output 'other.csv'\n");
  });
});

describe('plotsShow (library)', () => {
  test("writes the same page as `dvc plots diff` for the same revisions, and returns the plots' data", async () => {
    const s = history();
    const r = s.dvc(['plots', 'diff', '-o', 'cli', 'HEAD~1', 'HEAD', 'workspace']);
    assert.equal(r.code, 0, r.stderr);
    const { Repo, plotsShow } = await import('../../src/index.js');
    const cwd = process.cwd();
    process.chdir(s.repo);
    try {
      const res = await plotsShow(Repo.open(s.repo), { revs: ['HEAD~1', 'HEAD', 'workspace'], out: 'lib' });
      assert.equal(res.page, join(s.repo, 'lib', 'index.html'));
      assert.equal(readFileSync(res.page!, 'utf8'), readFileSync(join(s.repo, 'cli', 'index.html'), 'utf8'));
      assert.deepEqual(res.erroredRevisions, []);
      assert.deepEqual(res.plots.map((p) => p.renderer.name), ['train.csv']);
      // A missing data file: the page is still written, and its revision reported.
      rmSync(join(s.repo, 'train.csv'));
      const missing = await plotsShow(Repo.open(s.repo), { out: 'missing' });
      assert.ok(existsSync(missing.page!));
      assert.deepEqual(missing.erroredRevisions, ['workspace']);
      // Nothing to plot: no page.
      const empty = sandbox();
      assert.equal(empty.dvc(['init', '-q']).code, 0);
      const none = await plotsShow(Repo.open(empty.repo), { out: join(empty.repo, 'none') });
      assert.equal(none.page, undefined);
      assert.equal(existsSync(join(empty.repo, 'none')), false);
    } finally {
      process.chdir(cwd);
    }
  });
});
