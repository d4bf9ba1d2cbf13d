/**
 * Defaults lists (Hydra 1.1+ semantics): builds the defaults tree of the primary config (with
 * `hydra/config` first), applies command line choices (`db=mysql`), appends (`+db=mysql`),
 * deletions (`~db`), `override` entries in nested configs (last one in depth-first order wins),
 * `optional`, `null`, `???`, `_self_`, packages (`@pkg`, `# @package`, `_global_`, `_here_`)
 * and interpolated choices (`db: ${platform}`), then flattens it into the merge order.
 */
import { ConfigCompositionError, MissingConfigError } from '../errors.js';
import { DictNode, ListNode, ValueNode, type Node } from '../omegaconf/nodes.js';
import type { Override } from '../grammar/types.js';
import type { ConfigRepository } from './repository.js';

abstract class InputDefault {
  package: string | null = null;
  parentBaseDir: string | null = null;
  parentPackage: string | null = null;
  packageHeader: string | null = null;
  primary = false;
  deleted = false;

  abstract isSelf(): boolean;
  abstract isOptional(): boolean;
  abstract groupPath(): string;
  abstract configPath(): string;
  abstract name(): string | null;
  abstract relativeGroupPath(): string;
  abstract finalPackage(defaultToHeader?: boolean): string;
  abstract isMissing(): boolean;
  abstract isInterpolation(): boolean;
  isOverride(): boolean {
    return false;
  }
  isExternalAppend(): boolean {
    return false;
  }
  isVirtual(): boolean {
    return false;
  }
  updateParent(baseDir: string, pkg: string): void {
    this.parentBaseDir = baseDir;
    this.parentPackage = pkg;
  }
  defaultPackage(): string {
    return this.groupPath().replace(/\//g, '.');
  }
  setPackageHeader(h: string | null): void {
    if (h === null) return;
    const name = this.name() ?? '';
    h = h.replace(/_group_/g, this.groupPath().replace(/\//g, '.')).replace(/_name_/g, name);
    if (h !== '_global_' && !h.startsWith('_global_.')) h = h === '' ? '_global_' : `_global_.${h}`;
    this.packageHeader = h;
  }
  getPackage(defaultToHeader = true): string | null {
    return this.package === null && defaultToHeader ? this.packageHeader : this.package;
  }
  protected computeFinal(parentPackage: string, pkg: string | null): string {
    if (pkg === null) pkg = this.relativeGroupPath().replace(/\//g, '.');
    const ret = parentPackage === '' ? pkg : pkg === '' ? parentPackage : `${parentPackage}.${pkg}`;
    const i = ret.lastIndexOf('_global_');
    return i < 0 ? ret : ret.slice(i + '_global_'.length + 1);
  }
  overrideKey(): string {
    const fp = this.finalPackage(false);
    let key = this.groupPath();
    if (this.defaultPackage() !== fp) key += `@${fp === '' ? '_global_' : fp}`;
    return key;
  }
}

class VirtualRoot extends InputDefault {
  isSelf() {
    return false;
  }
  isOptional() {
    return false;
  }
  groupPath(): string {
    return '';
  }
  configPath() {
    return '<root>';
  }
  name() {
    return null;
  }
  relativeGroupPath() {
    return '';
  }
  finalPackage() {
    return '';
  }
  isMissing() {
    return false;
  }
  isInterpolation() {
    return false;
  }
  override isVirtual() {
    return true;
  }
}

export class ConfigDefault extends InputDefault {
  constructor(
    public path: string,
    pkg: string | null = null,
    public optional = false,
  ) {
    super();
    if (path === '_self_' && pkg !== null) throw new ConfigCompositionError('_self_@PACKAGE is not supported');
    this.package = pkg === '_here_' ? '' : pkg;
  }
  isSelf() {
    return this.path === '_self_';
  }
  isOptional() {
    return this.optional;
  }
  private split(): { path: string; absolute: boolean } {
    return this.path.startsWith('/') ? { path: this.path.slice(1), absolute: true } : { path: this.path, absolute: false };
  }
  groupPath(): string {
    const { path, absolute } = this.split();
    const i = path.lastIndexOf('/');
    const group = i < 0 ? '' : path.slice(0, i);
    if (absolute) return group;
    const base = this.parentBaseDir ?? '';
    if (base === '') return group;
    return group === '' ? base : `${base}/${group}`;
  }
  name(): string {
    const i = this.path.lastIndexOf('/');
    return i < 0 ? this.path : this.path.slice(i + 1);
  }
  configPath(): string {
    const { path, absolute } = this.split();
    const base = this.parentBaseDir ?? '';
    return absolute || base === '' ? path : `${base}/${path}`;
  }
  relativeGroupPath(): string {
    const { path } = this.split();
    const i = path.lastIndexOf('/');
    return i < 0 ? '' : path.slice(0, i);
  }
  finalPackage(defaultToHeader = true): string {
    return this.computeFinal(this.parentPackage ?? '', this.getPackage(defaultToHeader));
  }
  isMissing() {
    return this.name() === '???';
  }
  isInterpolation() {
    return this.path.includes('${');
  }
}

export class GroupDefault extends InputDefault {
  configNameOverridden = false;
  constructor(
    public group: string,
    public value: string | string[] | null,
    pkg: string | null = null,
    public optional = false,
    public override = false,
    public externalAppend = false,
  ) {
    super();
    this.package = pkg === '_here_' ? '' : pkg;
  }
  isSelf() {
    return this.value === '_self_';
  }
  isOptional() {
    return this.optional;
  }
  override isOverride() {
    return this.override;
  }
  override isExternalAppend() {
    return this.externalAppend;
  }
  groupPath(): string {
    const absolute = this.group.startsWith('/') || this.externalAppend;
    const g = this.group.startsWith('/') ? this.group.slice(1) : this.group;
    const base = this.parentBaseDir ?? '';
    return base === '' || absolute ? g : `${base}/${g}`;
  }
  configPath(): string {
    return `${this.groupPath()}/${this.name()}`;
  }
  isOptions(): boolean {
    return Array.isArray(this.value);
  }
  name(): string | null {
    return Array.isArray(this.value) ? null : this.value;
  }
  relativeGroupPath(): string {
    return this.group.startsWith('/') ? this.group.slice(1) : this.group;
  }
  finalPackage(defaultToHeader = true): string {
    return this.computeFinal(this.externalAppend ? '' : (this.parentPackage ?? ''), this.getPackage(defaultToHeader));
  }
  isMissing() {
    return this.value === '???';
  }
  isInterpolation() {
    return typeof this.value === 'string' && this.value.includes('${');
  }
  relativeOverrideKey(): string {
    let key = this.group;
    if (this.package !== null && this.defaultPackage() !== this.package) key += `@${this.package}`;
    return key;
  }
}

class TreeNode {
  children: Array<TreeNode | InputDefault> | null = null;
  constructor(
    public node: InputDefault,
    public parent: TreeNode | null = null,
  ) {}
}

export interface ResultDefault {
  configPath: string;
  parent: string | null;
  package: string;
  isSelf: boolean;
  primary: boolean;
  overrideKey: string | null;
}

interface OverrideMeta {
  external: boolean;
  containingConfigPath: string | null;
  used: boolean;
  relativeKey: string | null;
}

class OverridesState {
  choices = new Map<string, string | string[] | null>();
  meta = new Map<string, OverrideMeta>();
  appendGroupDefaults: GroupDefault[] = [];
  configOverrides: Override[] = [];
  knownChoices = new Map<string, string | null>();
  knownChoicesPerGroup = new Map<string, Set<string>>();
  deletions = new Map<string, { name: string | null; used: boolean }>();

  constructor(repo: ConfigRepository, overrides: Override[]) {
    for (const o of overrides) {
      if (o.isSweep()) continue;
      const isGroup = o.keyOrGroup !== '' && safe(() => repo.groupExists(o.keyOrGroup));
      const isConfig = o.keyOrGroup !== '' && safe(() => repo.configExists(o.keyOrGroup));
      const value = o.value();
      const isDict = value !== null && typeof value === 'object' && !Array.isArray(value) && value.constructor === Object;
      if (o.isDelete() && (isGroup || isConfig)) {
        const key = o.keyElement().slice(1);
        if (isGroup) {
          if (value !== undefined && value !== null && typeof value !== 'string') {
            throw new ConfigCompositionError(`Config group deletion value must be a string: '${o.inputLine}'`);
          }
          this.deletions.set(key, { name: (value as string | undefined) ?? null, used: false });
        } else {
          if (value !== undefined) throw new ConfigCompositionError(`Config path deletion does not support a value: '${o.inputLine}'`);
          this.deletions.set(key, { name: null, used: false });
        }
      } else if (isDict || !isGroup) {
        this.configOverrides.push(o);
      } else if (o.isForceAdd()) {
        throw new ConfigCompositionError(`force-add of config groups is not supported: '${o.inputLine}' (use +${o.inputLine.slice(2)} to add the group)`);
      } else if (typeof value !== 'string' && !Array.isArray(value)) {
        throw new ConfigCompositionError(`Config group override '${o.inputLine}' must name an option (a string or a list of strings): available options are ${repo.groupOptions(o.keyOrGroup).join(', ')}`);
      } else if (o.isAdd()) {
        this.appendGroupDefaults.push(new GroupDefault(o.keyOrGroup, value as string | string[], o.pkg, false, false, true));
      } else {
        const key = o.pkg === null ? o.keyOrGroup : `${o.keyOrGroup}@${o.pkg}`;
        this.choices.set(key, value as string | string[]);
        this.meta.set(key, { external: true, containingConfigPath: null, used: false, relativeKey: null });
      }
    }
  }

  addOverride(parentConfigPath: string, d: GroupDefault): void {
    const key = d.overrideKey();
    if (!this.choices.has(key)) {
      this.choices.set(key, d.value);
      this.meta.set(key, { external: false, containingConfigPath: parentConfigPath, used: false, relativeKey: d.relativeOverrideKey() });
    }
  }
  isOverridden(d: InputDefault): boolean {
    return d instanceof GroupDefault && this.choices.has(d.overrideKey());
  }
  overrideDefaultOption(d: GroupDefault): void {
    const key = d.overrideKey();
    if (this.choices.has(key)) {
      d.value = this.choices.get(key)!;
      d.configNameOverridden = true;
      this.meta.get(key)!.used = true;
    }
  }
  setKnownChoice(d: InputDefault): void {
    if (!(d instanceof GroupDefault)) return;
    const key = d.overrideKey();
    const name = d.name();
    if (!this.knownChoices.has(key)) this.knownChoices.set(key, name);
    else if (this.knownChoices.get(key) !== name) {
      const prev = this.knownChoices.get(key);
      throw new ConfigCompositionError(`Multiple values for ${key}: to override a value use 'override ${key}: ${prev}'`);
    }
    const g = d.groupPath();
    if (!this.knownChoicesPerGroup.has(g)) this.knownChoicesPerGroup.set(g, new Set());
    this.knownChoicesPerGroup.get(g)!.add(key);
  }
  isDeleted(d: InputDefault): boolean {
    if (d instanceof GroupDefault) {
      const del = this.deletions.get(d.overrideKey());
      if (!del) return false;
      return del.name === null || del.name === d.name();
    }
    if (d instanceof ConfigDefault) {
      const del = this.deletions.get(d.configPath());
      return del !== undefined && del.name === null;
    }
    return false;
  }
  delete(d: InputDefault): void {
    d.deleted = true;
    const key = d instanceof GroupDefault ? d.overrideKey() : d.configPath();
    this.deletions.get(key)!.used = true;
  }
  ensureOverridesUsed(): void {
    for (const [key, meta] of this.meta) {
      if (meta.used) continue;
      const value = this.choices.get(key);
      if (!meta.external) {
        let msg = `Invalid defaults list override '${meta.relativeKey}: ${String(value)}': no earlier default for '${key}' exists to override`;
        if (meta.containingConfigPath) msg = `In '${meta.containingConfigPath}': ${msg}`;
        throw new ConfigCompositionError(msg);
      }
      const group = key.split('@')[0]!;
      const choices = [...(this.knownChoicesPerGroup.get(group) ?? [])].sort();
      let msg = `Could not override '${key}'.`;
      if (choices.length > 1) msg += ` Did you mean to override one of ${choices.join(', ')}?`;
      else if (choices.length === 1) msg += ` Did you mean to override ${choices[0]}?`;
      else msg += ' No match in the defaults list.';
      msg += ` To append to your default list use +${key}=${Array.isArray(value) ? `[${value.join(',')}]` : String(value)}`;
      throw new ConfigCompositionError(msg);
    }
  }
  ensureDeletionsUsed(): void {
    for (const [key, d] of this.deletions) {
      if (!d.used) {
        const desc = d.name !== null ? `${key}=${d.name}` : key;
        throw new ConfigCompositionError(`Could not delete '${desc}': no match in the defaults list`);
      }
    }
  }
}

function safe(fn: () => boolean): boolean {
  try {
    return fn();
  } catch {
    return false;
  }
}

/** Parses a raw defaults list (from YAML) into defaults. */
export function parseDefaultsList(configPath: string, raw: ListNode): InputDefault[] {
  const out: InputDefault[] = [];
  for (const item of raw.items) {
    if (item instanceof DictNode) {
      const keys = item.keys();
      if (keys.length !== 1) {
        throw new ConfigCompositionError(`In '${configPath}': ${keys.length ? 'too many keys' : 'missing group name'} in defaults list item (use '- group: option')`);
      }
      const rawKey = keys[0]!;
      const words = rawKey.split(/\s+/).filter(Boolean);
      if (!words.length) throw new ConfigCompositionError(`In '${configPath}': missing group name in defaults list`);
      const groupWithPkg = words.pop()!;
      let optional = false;
      let override = false;
      for (const w of words) {
        if (w === 'optional') optional = true;
        else if (w === 'override') override = true;
        else throw new ConfigCompositionError(`In '${configPath}': unsupported keyword '${w}' in defaults list (use 'optional' or 'override')`);
      }
      const at = groupWithPkg.indexOf('@');
      const group = at < 0 ? groupWithPkg : groupWithPkg.slice(0, at);
      const pkg = at < 0 ? null : groupWithPkg.slice(at + 1).split(':')[0]!;
      const v = item.get(rawKey)!;
      let value: string | string[] | null;
      if (v instanceof ValueNode && (v.value === null || typeof v.value === 'string')) value = v.value;
      else if (v instanceof ListNode) {
        value = v.items.map((x) => {
          if (!(x instanceof ValueNode) || typeof x.value !== 'string') {
            throw new ConfigCompositionError(`In '${configPath}': defaults list options must be strings (in '${rawKey}')`);
          }
          return x.value;
        });
      } else if (v instanceof ValueNode && (typeof v.value === 'number' || typeof v.value === 'boolean')) {
        value = String(v.value);
      } else throw new ConfigCompositionError(`In '${configPath}': unsupported value for '${rawKey}' in defaults list (use a string or a list of strings)`);
      if (!group) throw new ConfigCompositionError(`In '${configPath}': missing group name in defaults list`);
      out.push(new GroupDefault(group, value, pkg, optional, override));
    } else if (item instanceof ValueNode && typeof item.value === 'string') {
      const s = item.value;
      const at = s.indexOf('@');
      const path = at < 0 ? s : s.slice(0, at);
      const pkg = at < 0 ? null : s.slice(at + 1).split(':')[0]!;
      out.push(new ConfigDefault(path, pkg));
    } else {
      throw new ConfigCompositionError(`In '${configPath}': unsupported item in defaults list (use '- config_name' or '- group: option')`);
    }
  }
  return out;
}

function validatePaths(d: InputDefault, parent: InputDefault): void {
  const where = parent.isVirtual() ? '' : `In '${parent.configPath()}': `;
  const paths: string[] = [];
  if (d instanceof ConfigDefault) paths.push(d.path);
  else if (d instanceof GroupDefault) {
    paths.push(d.group);
    if (Array.isArray(d.value)) paths.push(...d.value);
    else if (d.value !== null) paths.push(d.value);
  }
  for (const p of paths) {
    if (p.includes('\\')) throw new ConfigCompositionError(`${where}backslash in defaults list path '${p}' is not supported: use '/' as the separator`);
    if (p.split('/').includes('..')) throw new ConfigCompositionError(`${where}parent traversal ('..') in defaults list path '${p}' is not supported: use an absolute path such as '/group: option'`);
  }
}

export interface DefaultsListResult {
  defaults: ResultDefault[];
  configOverrides: Override[];
  /** group override key -> chosen option (null when none) */
  choices: Record<string, string | null>;
}

class Builder {
  deferred: Array<{ tree: TreeNode; index: number }> = [];
  constructor(
    public repo: ConfigRepository,
    public ov: OverridesState,
    public skipMissing: boolean,
  ) {}

  loadOrNull(d: InputDefault) {
    return this.repo.load(d.configPath());
  }

  notFound(tree: TreeNode): never {
    const el = tree.node;
    const sources = this.repo.sources.map((s) => s.toString()).join('; ');
    if (el.primary) {
      throw new MissingConfigError(`Cannot find primary config '${el.configPath()}': check the config name and that it is in the config folder (search path: ${sources})`, el.configPath());
    }
    let msg: string;
    let options: string[] | undefined;
    if (el instanceof GroupDefault) {
      const group = el.groupPath();
      options = this.repo.groupOptions(group);
      msg = `Could not find '${el.configPath()}'.`;
      if (options.length) msg += ` Available options in '${group}': ${options.join(', ')}`;
      else msg += ` The config group '${group}' has no options`;
    } else msg = `Could not load '${el.configPath()}': no such config`;
    const parent = tree.parent?.node;
    if (parent && !parent.isVirtual()) msg = `In '${parent.configPath()}': ${msg}`;
    throw new MissingConfigError(msg, el.configPath(), options);
  }

  checkMissing(d: InputDefault): boolean {
    if (!d.isMissing()) return false;
    if (this.skipMissing) return true;
    if (d instanceof GroupDefault) {
      const key = d.overrideKey();
      const opts = this.repo.groupOptions(d.groupPath());
      throw new ConfigCompositionError(`You must specify '${key}', e.g. ${key}=<OPTION>. Available options: ${opts.join(', ') || '(none)'}`);
    }
    throw new ConfigCompositionError(`Missing config default is not supported: ${d.configPath()}`);
  }

  expandVirtualRoot(root: TreeNode): TreeNode {
    const children: Array<TreeNode | InputDefault> = [];
    for (const d of [...(root.children as InputDefault[])].reverse()) {
      const nr = new TreeNode(d, root);
      d.updateParent('', '');
      const sub = this.build(nr, d.primary, false);
      children.push(sub.children === null ? d : sub);
    }
    if (children.length) root.children = children.reverse();
    return root;
  }

  build(root: TreeNode, isRootConfig: boolean, interpolated: boolean): TreeNode {
    const parent = root.node;
    if (parent.isVirtual()) return isRootConfig ? this.expandVirtualRoot(root) : root;
    if (isRootConfig) {
      parent.updateParent('', '');
      if (!this.repo.configExists(parent.configPath())) this.notFound(root);
    }
    if (!parent.isMissing() && parent.name() !== null) {
      const l = this.loadOrNull(parent);
      if (l) parent.setPackageHeader(l.packageHeader);
    }
    if (this.ov.isDeleted(parent)) {
      this.ov.delete(parent);
      return root;
    }
    this.ov.setKnownChoice(parent);
    if (parent.name() === null && !(parent instanceof GroupDefault && parent.isOptions())) return root;
    if (this.checkMissing(parent)) return root;
    const path = parent.configPath();
    const chain: string[] = [];
    for (let t: TreeNode | null = root.parent; t; t = t.parent) if (!t.node.isVirtual()) chain.unshift(t.node.configPath());
    if (chain.includes(path)) throw new ConfigCompositionError(`Circular defaults list: ${[...chain.slice(chain.indexOf(path)), path].join(' -> ')}`);
    const loaded = this.loadOrNull(parent);
    if (!loaded) {
      if (parent.isOptional()) {
        parent.deleted = true;
        return root;
      }
      this.notFound(root);
    }
    let defaults = loaded.defaults ? parseDefaultsList(path, loaded.defaults) : [];
    if (defaults.length || (isRootConfig && this.ov.appendGroupDefaults.length)) {
      defaults = this.validateSelf(parent, defaults);
    }
    if (isRootConfig) defaults.push(...this.ov.appendGroupDefaults.map((g) => cloneGroup(g)));
    for (const d of defaults) validatePaths(d, parent);
    this.checkOverridesOrder(defaults, parent, interpolated);

    const children: Array<TreeNode | InputDefault> = [];
    const addChild = (nr: TreeNode) => {
      const sub = this.build(nr, false, interpolated);
      children.push(sub.children === null ? nr.node : sub);
    };
    for (const d of [...defaults].reverse()) {
      if (d.isSelf()) {
        d.updateParent(parent.parentBaseDir ?? '', parent.getPackage() ?? '');
        children.push(d);
        continue;
      }
      if (d.isOverride()) {
        d.updateParent(parent.groupPath(), parent.finalPackage());
        this.ov.addOverride(path, d as GroupDefault);
        continue;
      }
      d.updateParent(parent.groupPath(), parent.finalPackage());
      if (this.ov.isOverridden(d)) this.ov.overrideDefaultOption(d as GroupDefault);
      validatePaths(d, parent);
      if (d instanceof GroupDefault && d.isOptions()) {
        for (const item of [...(d.value as string[])].reverse()) {
          if (item.includes('${')) throw new ConfigCompositionError(`In '${path}': defaults list interpolation is not supported in options list items`);
          const node = d.externalAppend ? new ConfigDefault(`${d.groupPath()}/${item}`, d.package, d.optional) : new ConfigDefault(`${d.group}/${item}`, d.package, d.optional);
          if (d.externalAppend) node.updateParent('', '');
          else node.updateParent(parent.groupPath(), parent.finalPackage());
          addChild(new TreeNode(node, root));
        }
      } else if (d.isInterpolation()) {
        children.push(d);
      } else addChild(new TreeNode(d, root));
    }
    // interpolated choices (`db_schema: ${db}`) resolve once this list's other entries are known
    for (let i = 0; i < children.length; i++) {
      const c = children[i]!;
      if (c instanceof TreeNode || !c.isInterpolation()) continue;
      this.resolveInterpolation(c, path);
      c.updateParent(parent.groupPath(), parent.finalPackage());
      const sub = this.build(new TreeNode(c, root), false, true);
      if (sub.children !== null) children[i] = sub;
    }
    if (children.length) root.children = children.reverse();
    return root;
  }

  resolveInterpolation(d: InputDefault, where: string): void {
    const known: Record<string, string> = {};
    for (const [k, v] of this.ov.knownChoices) if (typeof v === 'string') known[k] = v;
    const src = d instanceof GroupDefault ? String(d.value) : (d as ConfigDefault).path;
    if (/\$\{defaults\.\d+\./.test(src)) {
      throw new ConfigCompositionError(`In '${where}': defaults list element '${src}' uses the Hydra 1.0 interpolation form: use \${group} (see https://hydra.cc/docs/1.1/upgrades/1.0_to_1.1/defaults_list_interpolation)`);
    }
    let unresolved = false;
    const resolved = src.replace(/\$\{\s*([^{}]*?)\s*\}/g, (m, key: string) => {
      if (key in known) return known[key]!;
      unresolved = true;
      return m;
    });
    if (unresolved) {
      const keys = Object.keys(known).join(', ');
      throw new ConfigCompositionError(`In '${where}': error resolving interpolation '${src}' in the defaults list${keys ? `, possible interpolation keys: ${keys}` : ''}`);
    }
    if (d instanceof GroupDefault) d.value = resolved;
    else (d as ConfigDefault).path = resolved;
  }

  validateSelf(parent: InputDefault, defaults: InputDefault[]): InputDefault[] {
    let hasSelf = false;
    let hasNonOverride = false;
    for (const d of defaults) {
      if (!d.isOverride()) hasNonOverride = true;
      if (d.isSelf()) {
        if (hasSelf) throw new ConfigCompositionError(`Duplicate _self_ defined in '${parent.configPath()}'`);
        hasSelf = true;
      }
    }
    if ((!hasSelf && hasNonOverride) || defaults.length === 0) defaults.push(new ConfigDefault('_self_'));
    return defaults;
  }

  checkOverridesOrder(defaults: InputDefault[], parent: InputDefault, interpolated: boolean): void {
    let last: GroupDefault | null = null;
    for (const d of defaults) {
      if (d.isSelf()) continue;
      if (last && !(d.isOverride() || d.isExternalAppend())) {
        throw new ConfigCompositionError(
          `In '${parent.configPath()}': override '${last.group}: ${String(last.value)}' is defined before '${d instanceof GroupDefault ? d.group : (d as ConfigDefault).path}': overrides must be at the end of the defaults list`,
        );
      }
      if (d instanceof GroupDefault && d.override) {
        last = d;
        if (interpolated) throw new ConfigCompositionError(`In '${parent.configPath()}': defaults list overrides are not allowed in the subtree of an interpolated config group`);
      }
    }
  }

}

function cloneGroup(g: GroupDefault): GroupDefault {
  return new GroupDefault(g.group, Array.isArray(g.value) ? [...g.value] : g.value, g.package, g.optional, g.override, g.externalAppend);
}

function toResults(tree: TreeNode): ResultDefault[] {
  const out: ResultDefault[] = [];
  const visit = (t: TreeNode | null, node: InputDefault) => {
    if (node.deleted || node.isMissing() || node.isVirtual()) return;
    if (node.name() === null) return;
    if (node.isSelf()) {
      if (!t) return;
      out.push({
        configPath: t.node.configPath(),
        parent: t.parent && !t.parent.node.isVirtual() ? t.parent.node.configPath() : null,
        package: t.node.finalPackage(),
        isSelf: true,
        primary: t.node.primary,
        overrideKey: null,
      });
    } else {
      out.push({
        configPath: node.configPath(),
        parent: t && !t.node.isVirtual() ? t.node.configPath() : null,
        package: node.finalPackage(),
        isSelf: false,
        primary: node.primary,
        overrideKey: node instanceof GroupDefault ? node.overrideKey() : null,
      });
    }
  };
  const walk = (t: TreeNode) => {
    if (!t.children || !t.children.length) visit(t.parent, t.node);
    else for (const c of t.children) c instanceof TreeNode ? walk(c) : visit(t, c);
  };
  walk(tree);
  const seen = new Set<string>();
  for (const r of out) {
    if (r.isSelf || r.overrideKey === null) continue;
    if (seen.has(r.overrideKey)) throw new ConfigCompositionError(`${r.overrideKey} appears more than once in the final defaults list`);
    seen.add(r.overrideKey);
  }
  return out;
}

/** Computes the ordered list of configs to merge for `configName` with `overrides`. */
export function createDefaultsList(
  repo: ConfigRepository,
  configName: string | null,
  overrides: Override[],
  opts: { prependHydra?: boolean; skipMissing?: boolean } = {},
): DefaultsListResult {
  const ov = new OverridesState(repo, overrides);
  const primary = new ConfigDefault(configName ?? '_dummy_empty_config_');
  primary.primary = true;
  let root: TreeNode;
  if (opts.prependHydra ?? true) {
    root = new TreeNode(new VirtualRoot());
    root.children = [new ConfigDefault('hydra/config'), primary];
  } else root = new TreeNode(primary);
  const b = new Builder(repo, ov, opts.skipMissing ?? false);
  b.build(root, true, false);
  const defaults = toResults(root).filter((r) => r.configPath !== '_dummy_empty_config_');
  ov.ensureOverridesUsed();
  ov.ensureDeletionsUsed();
  const choices: Record<string, string | null> = {};
  for (const [k, v] of ov.knownChoices) choices[k] = v;
  return { defaults, configOverrides: ov.configOverrides, choices };
}

export type { Node };
