/**
 * `dvc dag`: the stage graph as DVC draws it. ASCII: one drawing per pipeline (weakly connected
 * component, in stage order), boxes `+---+ / | name | / +---+` in layers (upstream on top, 3 rows
 * between layers joined by `*` lines), a canvas as wide as DVC's (grandalf layout's extent + 1,
 * Python's round-half-even); `--dot` (pydot's text of the reversed graph) and `--mermaid`.
 */
import type { Stage } from './pipeline.js';

export interface DagGraph {
  nodes: string[];
  /** [from, to]: `from` depends on `to` (DVC's edge direction). */
  edges: Array<[string, string]>;
}

export function dagOf(stages: Stage[], g: Map<Stage, Stage[]>): DagGraph {
  const edges: Array<[string, string]> = [];
  for (const s of stages) for (const u of g.get(s) ?? []) edges.push([s.addressing, u.addressing]);
  return { nodes: stages.map((s) => s.addressing), edges };
}

/** networkx weakly_connected_components, in node order. */
export function pipelines(dag: DagGraph): DagGraph[] {
  const seen = new Set<string>();
  const res: DagGraph[] = [];
  for (const n of dag.nodes) {
    if (seen.has(n)) continue;
    const comp = new Set<string>([n]);
    const stack = [n];
    while (stack.length) {
      const x = stack.pop()!;
      for (const [a, b] of dag.edges) {
        const y = a === x ? b : b === x ? a : undefined;
        if (y !== undefined && !comp.has(y)) {
          comp.add(y);
          stack.push(y);
        }
      }
    }
    for (const x of comp) seen.add(x);
    res.push({ nodes: dag.nodes.filter((x) => comp.has(x)), edges: dag.edges.filter(([a]) => comp.has(a)) });
  }
  return res;
}

/** Python's round() (half to even). */
function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

class Canvas {
  rows: string[][];
  constructor(
    readonly cols: number,
    lines: number,
  ) {
    this.rows = Array.from({ length: lines }, () => Array<string>(cols).fill(' '));
  }
  point(x: number, y: number, ch: string): void {
    if (y >= 0 && y < this.rows.length && x >= 0 && x < this.cols) this.rows[y]![x] = ch;
  }
  line(x0: number, y0: number, x1: number, y1: number, ch: string): void {
    if (x0 > x1) [x0, y0, x1, y1] = [x1, y1, x0, y0];
    const dx = x1 - x0;
    const dy = y1 - y0;
    if (dx === 0 && dy === 0) this.point(x0, y0, ch);
    else if (Math.abs(dx) >= Math.abs(dy)) {
      for (let x = x0; x <= x1; x++) this.point(x, dx === 0 ? y0 : y0 + pyRound(((x - x0) * dy) / dx), ch);
    } else if (y0 < y1) {
      for (let y = y0; y <= y1; y++) this.point(dy === 0 ? x0 : x0 + pyRound(((y - y0) * dx) / dy), y, ch);
    } else {
      for (let y = y1; y <= y0; y++) this.point(dy === 0 ? x0 : x1 + pyRound(((y - y1) * dx) / dy), y, ch);
    }
  }
  box(x0: number, y0: number, w: number, h: number): void {
    w -= 1;
    h -= 1;
    for (let x = x0; x < x0 + w; x++) {
      this.point(x, y0, '-');
      this.point(x, y0 + h, '-');
    }
    for (let y = y0; y < y0 + h; y++) {
      this.point(x0, y, '|');
      this.point(x0 + w, y, '|');
    }
    for (const [x, y] of [[x0, y0], [x0 + w, y0], [x0, y0 + h], [x0 + w, y0 + h]] as const) this.point(x, y, '+');
  }
  text(x: number, y: number, t: string): void {
    [...t].forEach((c, i) => this.point(x + i, y, c));
  }
  draw(): string {
    return this.rows.map((r) => r.join('')).join('\n');
  }
}

/** One pipeline as ASCII boxes. */
export function drawAscii(p: DagGraph): string {
  const label = (n: string) => ` ${n} `;
  const w = (n: string) => label(n).length + 2;
  const H = 3;
  // layers: longest path from the roots (stages nothing depends on... upstream first)
  const ups = new Map<string, string[]>(p.nodes.map((n) => [n, p.edges.filter(([a]) => a === n).map(([, b]) => b)]));
  const layer = new Map<string, number>();
  const depth = (n: string, guard = new Set<string>()): number => {
    if (layer.has(n)) return layer.get(n)!;
    guard.add(n);
    const l = Math.max(-1, ...ups.get(n)!.filter((u) => !guard.has(u)).map((u) => depth(u, guard))) + 1;
    layer.set(n, l);
    return l;
  };
  for (const n of p.nodes) depth(n);
  const nLayers = Math.max(...layer.values()) + 1;
  const minw = Math.min(...p.nodes.map(w));
  const pos = new Map<string, { x: number; y: number }>();
  for (let l = 0; l < nLayers; l++) {
    const ns = p.nodes.filter((n) => layer.get(n) === l);
    const total = ns.reduce((s, n) => s + w(n), 0) + minw * (ns.length - 1);
    let left = -total / 2;
    for (const n of ns) {
      pos.set(n, { x: left + w(n) / 2, y: l * 2 * H });
      left += w(n) + minw;
    }
  }
  const xs: number[] = [];
  const ys: number[] = [];
  for (const n of p.nodes) {
    const { x, y } = pos.get(n)!;
    xs.push(x - w(n) / 2, x + w(n) / 2);
    ys.push(y, y + H);
  }
  const edgePts: Array<[[number, number], [number, number]]> = [];
  for (const [a, b] of p.edges) {
    const top = pos.get(b)!;
    const bottom = pos.get(a)!;
    const pts: [[number, number], [number, number]] = [[top.x, top.y + H], [bottom.x, bottom.y - 1]];
    edgePts.push(pts);
    for (const [x, y] of pts) {
      xs.push(x);
      ys.push(y);
    }
  }
  const minx = Math.min(...xs);
  const miny = Math.min(...ys);
  const maxx = Math.max(...xs);
  const maxy = Math.max(...ys);
  const c = new Canvas(Math.ceil(Math.ceil(maxx) - Math.floor(minx)) + 1, pyRound(maxy - miny));
  for (const [[x0, y0], [x1, y1]] of edgePts) c.line(pyRound(x0 - minx), pyRound(y0 - miny), pyRound(x1 - minx), pyRound(y1 - miny), '*');
  for (const n of p.nodes) {
    const { x, y } = pos.get(n)!;
    const bx = pyRound(x - w(n) / 2 - minx);
    const by = pyRound(y - miny);
    c.box(bx, by, w(n), H);
    c.text(bx + 1, by + 1, label(n));
  }
  return c.draw();
}

export function showAscii(dag: DagGraph): string {
  return pipelines(dag).map(drawAscii).join('\n');
}

export function showDot(dag: DagGraph): string {
  let s = 'strict digraph  {\n';
  for (const n of dag.nodes) s += `"${n}";\n`;
  // networkx's reversed graph lists its edges source by source, in node order
  for (const n of dag.nodes) for (const [a, b] of dag.edges) if (b === n) s += `"${b}" -> "${a}";\n`;
  return s + '}\n';
}

export function showMermaid(dag: DagGraph, markdown = false): string {
  let g = 'flowchart TD';
  let total = 0;
  for (const p of pipelines(dag)) {
    const ids = new Map<string, string>();
    for (const n of [...p.nodes].sort()) {
      total++;
      ids.set(n, `node${total}`);
      g += `\n\t${ids.get(n)}["${n}"]`;
    }
    const edges = p.edges.map(([a, b]) => [b, a] as [string, string]).sort((x, y) => (x[0] + '\0' + x[1] < y[0] + '\0' + y[1] ? -1 : 1));
    for (const [a, b] of edges) g += `\n\t${ids.get(a)}-->${ids.get(b)}`;
  }
  return markdown ? '```mermaid\n' + g + '\n```' : g;
}

/**
 * DVC's dag `_filter`: with targets, only the targets and what they depend on (all of the
 * pipelines they belong to with `full`), as one graph.
 */
export function filterDag(dag: DagGraph, targets: string[], full: boolean): DagGraph {
  if (!targets.length) return dag;
  let keep = new Set(dag.nodes);
  if (!full) {
    keep = new Set(targets);
    const stack = [...targets];
    while (stack.length) {
      const x = stack.pop()!;
      for (const [a, b] of dag.edges) if (a === x && !keep.has(b)) (keep.add(b), stack.push(b));
    }
  }
  const sub: DagGraph = { nodes: dag.nodes.filter((n) => keep.has(n)), edges: dag.edges.filter(([a, b]) => keep.has(a) && keep.has(b)) };
  const comps = pipelines(sub).filter((c) => c.nodes.some((n) => targets.includes(n)));
  const connected = new Set(comps.flatMap((c) => c.nodes));
  return { nodes: sub.nodes.filter((n) => connected.has(n)), edges: sub.edges.filter(([a]) => connected.has(a)) };
}

/**
 * DVC's outs graph (repo/graph.py build_outs_graph): every output (of `.dvc` files and stages)
 * a node, named relative to the current folder; an edge from each output of a stage to every
 * output its dependencies overlap.
 */
export function outsDag(stages: Stage[], dvcOuts: Array<{ abs: string }>, label: (abs: string) => string): DagGraph {
  const outs = [...dvcOuts.map((o) => o.abs), ...stages.flatMap((s) => s.outs.map((o) => o.abs))];
  const overlaps = (a: string, b: string) => a === b || a.startsWith(b + '/') || b.startsWith(a + '/');
  const nodes = [...new Set(outs.map(label))];
  const edges: Array<[string, string]> = [];
  for (const s of stages) {
    for (const d of s.deps) {
      const hit = outs.filter((o) => overlaps(o, d.abs));
      for (const from of s.outs) for (const o of hit) {
        const e: [string, string] = [label(from.abs), label(o)];
        if (!edges.some(([a, b]) => a === e[0] && b === e[1])) edges.push(e);
      }
    }
  }
  return { nodes, edges };
}
