/**
 * DVC's config schema (dvc/config_schema.py): which sections and options exist, how values are
 * coerced (booleans `true`/`false`, integers, cache types) and the error wording DVC prints
 * (voluptuous style: `extra keys not allowed @ data['remote']['r']['user']`,
 * `expected true or false for dictionary value @ data['core']['autostage']`).
 *
 * Remote sections are checked against the options of their URL scheme (s3, azure, gs, ssh, http(s),
 * webdav(s), hdfs, webhdfs, oss, gdrive, and local paths).
 */
import { LINK_TYPES } from '../fs/local.js';
import { parseUrlScheme } from './url.js';

export class SchemaError extends Error {
  constructor(
    readonly msg: string,
    readonly path: string[],
    readonly dictValue: boolean,
  ) {
    super(formatSchemaError(msg, path, dictValue));
  }
}

function formatSchemaError(msg: string, path: string[], dictValue: boolean): string {
  const where = path.length ? ` @ data[${path.map((p) => pyRepr(p)).join('][')}]` : '';
  return `${msg}${dictValue ? ' for dictionary value' : ''}${where}`;
}

/** Python's repr() of a str: single quotes unless the text has ' and no ". */
export function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return q + out + q;
}

/** A leaf validator: returns the coerced value or throws Invalid (message only). */
type Leaf = (v: unknown) => unknown;
class Invalid extends Error {}

const str: Leaf = (v) => {
  if (typeof v !== 'string') throw new Invalid('expected str');
  return v;
};
const lower = (v: unknown): string => {
  if (typeof v !== 'string') throw new Invalid('expected str');
  return v.toLowerCase();
};
export const bool: Leaf = (v) => {
  if (typeof v === 'boolean') return v;
  const s = typeof v === 'string' ? v.toLowerCase() : '';
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new Invalid('expected true or false');
};
function int(min?: number, max?: number): Leaf {
  return (v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n)) throw new Invalid('expected int');
    if (min !== undefined && n < min) throw new Invalid(`value must be at least ${min}`);
    if (max !== undefined && n > max) throw new Invalid(`value must be at most ${max}`);
    return n;
  };
}
const float: Leaf = (v) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (Number.isNaN(n)) throw new Invalid('expected float');
  if (n < 0) throw new Invalid('value must be at least 0');
  return n;
};
function choices(...cs: string[]): Leaf {
  return (v) => {
    const s = lower(v);
    if (!cs.includes(s)) throw new Invalid(`expected one of ${cs.join(', ')}`);
    return s;
  };
}
const boolOrStr: Leaf = (v) => {
  try {
    return bool(v);
  } catch {
    return str(v);
  }
};
/** `cache.type`: 'reflink,copy' or a list -> ['reflink', 'copy']; unknown types are an error. */
export const cacheType: Leaf = (v) => {
  const types = Array.isArray(v) ? v.map(String) : String(v).split(',').map((t) => t.trim());
  const bad = types.filter((t) => !(LINK_TYPES as readonly string[]).includes(t));
  if (bad.length) throw new Invalid(`Unsupported cache type(s): ${[...new Set(bad)].join(', ')}`);
  return types;
};

type Fields = Record<string, Leaf>;

const REMOTE_COMMON: Fields = {
  url: str,
  checksum_jobs: int(1),
  jobs: int(1),
  worktree: bool,
  no_traverse: bool,
  version_aware: bool,
};
const LOCAL_COMMON: Fields = {
  type: cacheType,
  protected: bool,
  shared: choices('group'),
  slow_link_warning: bool,
  verify: bool,
};
const HTTP_COMMON: Fields = {
  auth: choices('basic', 'digest', 'custom'),
  custom_auth_header: str,
  user: str,
  password: str,
  ask_password: bool,
  ssl_verify: boolOrStr,
  method: str,
  connect_timeout: float,
  read_timeout: float,
  verify: bool,
};
const WEBDAV_COMMON: Fields = {
  user: str,
  password: str,
  ask_password: bool,
  token: str,
  custom_auth_header: str,
  cert_path: str,
  key_path: str,
  timeout: int(),
  ssl_verify: boolOrStr,
  verify: bool,
};

/** The options each remote URL scheme accepts ('' = a local path). */
export const REMOTE_SCHEMAS: Record<string, Fields> = {
  '': { ...LOCAL_COMMON, ...REMOTE_COMMON },
  s3: {
    region: str,
    profile: str,
    credentialpath: str,
    configpath: str,
    endpointurl: str,
    access_key_id: str,
    secret_access_key: str,
    session_token: str,
    listobjects: bool,
    use_ssl: bool,
    allow_anonymous_login: bool,
    ssl_verify: boolOrStr,
    sse: str,
    sse_kms_key_id: str,
    sse_customer_algorithm: str,
    sse_customer_key: str,
    acl: str,
    grant_read: str,
    grant_read_acp: str,
    grant_write_acp: str,
    grant_full_control: str,
    cache_regions: bool,
    read_timeout: int(),
    connect_timeout: int(),
    verify: bool,
    ...REMOTE_COMMON,
  },
  gs: {
    projectname: str,
    credentialpath: str,
    endpointurl: str,
    verify: bool,
    allow_anonymous_login: bool,
    ...REMOTE_COMMON,
  },
  ssh: {
    type: cacheType,
    port: int(),
    user: str,
    password: str,
    ask_password: bool,
    passphrase: str,
    ask_passphrase: bool,
    keyfile: str,
    timeout: int(),
    gss_auth: bool,
    allow_agent: bool,
    max_sessions: int(),
    verify: bool,
    ...REMOTE_COMMON,
  },
  hdfs: { user: str, kerb_ticket: str, replication: int(), ...REMOTE_COMMON },
  webhdfs: {
    kerberos: bool,
    kerberos_principal: str,
    proxy_to: str,
    ssl_verify: boolOrStr,
    token: str,
    use_https: bool,
    user: str,
    password: str,
    data_proxy_target: str,
    verify: bool,
    ...REMOTE_COMMON,
  },
  azure: {
    connection_string: str,
    sas_token: str,
    account_name: str,
    account_key: str,
    tenant_id: str,
    client_id: str,
    client_secret: str,
    allow_anonymous_login: bool,
    exclude_environment_credential: bool,
    exclude_visual_studio_code_credential: bool,
    exclude_shared_token_cache_credential: bool,
    exclude_managed_identity_credential: bool,
    verify: bool,
    timeout: int(),
    read_timeout: int(),
    connection_timeout: int(),
    ...REMOTE_COMMON,
  },
  oss: { oss_key_id: str, oss_key_secret: str, oss_endpoint: str, verify: bool, ...REMOTE_COMMON },
  gdrive: {
    profile: str,
    gdrive_use_service_account: bool,
    gdrive_client_id: str,
    gdrive_client_secret: str,
    gdrive_user_credentials_file: str,
    gdrive_service_account_user_email: str,
    gdrive_service_account_json_file_path: str,
    gdrive_trash_only: bool,
    gdrive_acknowledge_abuse: bool,
    verify: bool,
    ...REMOTE_COMMON,
  },
  http: { ...HTTP_COMMON, ...REMOTE_COMMON },
  https: { ...HTTP_COMMON, ...REMOTE_COMMON },
  webdav: { ...WEBDAV_COMMON, ...REMOTE_COMMON },
  webdavs: { ...WEBDAV_COMMON, ...REMOTE_COMMON },
  remote: {},
};

/** Defaults DVC fills in for remotes (Optional(..., default=...)), by scheme. */
const REMOTE_DEFAULTS: Record<string, Record<string, unknown>> = {
  '': { protected: false, slow_link_warning: true, verify: false },
  s3: { listobjects: false, use_ssl: true, allow_anonymous_login: false, verify: false },
  gs: { verify: false, allow_anonymous_login: false },
  ssh: { verify: false },
  webhdfs: { verify: false },
  azure: { verify: false },
  oss: { verify: true },
  gdrive: { gdrive_trash_only: false, gdrive_acknowledge_abuse: false, verify: true },
  http: { verify: false },
  https: { verify: false },
  webdav: { verify: false },
  webdavs: { verify: false },
};

/** Plain sections: option -> validator. */
const SECTIONS: Record<string, Fields> = {
  core: {
    remote: lower,
    checksum_jobs: int(1),
    interactive: bool,
    analytics: bool,
    hardlink_lock: bool,
    no_scm: bool,
    autostage: bool,
    experiments: bool,
    check_update: bool,
    site_cache_dir: str,
    machine: lower,
  },
  cache: {
    local: str,
    s3: str,
    gs: str,
    hdfs: str,
    webhdfs: str,
    ssh: str,
    azure: str,
    dir: str,
    ...LOCAL_COMMON,
  },
  state: { dir: str, row_limit: int(1), row_cleanup_quota: int(0, 100) },
  index: { dir: str },
  feature: { machine: bool },
  plots: { html_template: str, auto_open: bool, out_dir: str },
  exp: {
    code: str,
    data: str,
    models: str,
    metrics: str,
    params: str,
    plots: str,
    live: str,
    auto_push: bool,
    git_remote: str,
  },
  parsing: { bool: choices('store_true', 'boolean_optional'), list: choices('nargs', 'append') },
  hydra: {
    enabled: bool,
    config_dir: str,
    config_module: str,
    config_name: str,
    plugins_path: str,
  },
  studio: { token: str, url: str, repo_url: str, offline: bool },
};

const SECTION_DEFAULTS: Record<string, Record<string, unknown>> = {
  core: {
    interactive: false,
    analytics: true,
    hardlink_lock: false,
    no_scm: false,
    autostage: false,
    check_update: true,
  },
  cache: { protected: false, slow_link_warning: true, verify: false },
  feature: { machine: false },
  plots: { auto_open: false },
  hydra: { enabled: false },
  studio: { offline: false },
};

const MACHINE: Fields = {
  cloud: choices('aws', 'azure'),
  region: choices('us-west', 'us-east', 'eu-west', 'eu-north'),
  image: str,
  spot: bool,
  spot_price: float,
  instance_hdd_size: int(),
  instance_type: lower,
  instance_gpu: lower,
  ssh_private: str,
  startup_script: str,
  setup_script: str,
};
const DB: Fields = { url: str, username: str, password: str };

/** Every top-level section name, in DVC's schema order (used to add empty sections on load). */
export const SECTION_NAMES = [
  'core',
  'cache',
  'remote',
  'state',
  'index',
  'machine',
  'feature',
  'plots',
  'exp',
  'parsing',
  'hydra',
  'studio',
  'db',
] as const;

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

function validateFields(
  data: unknown,
  fields: Fields,
  path: string[],
  defaults: Dict = {},
  dropExtra = false,
): Dict {
  if (!isDict(data)) throw new SchemaError('expected a dictionary', path, true);
  const out: Dict = { ...defaults };
  for (const [k, v] of Object.entries(data)) {
    const f = fields[k];
    if (!f) {
      if (dropExtra) continue;
      throw new SchemaError('extra keys not allowed', [...path, k], false);
    }
    try {
      out[k] = f(v);
    } catch (e) {
      if (e instanceof Invalid) throw new SchemaError(e.message, [...path, k], true);
      throw e;
    }
  }
  return out;
}

function validateRemote(data: unknown, path: string[]): Dict {
  if (!isDict(data)) throw new SchemaError('expected a dictionary', path, true);
  if (!('url' in data)) throw new SchemaError("expected 'url'", path, true);
  const scheme = parseUrlScheme(String(data.url));
  const fields = REMOTE_SCHEMAS[scheme];
  if (!fields) throw new SchemaError(`Unsupported URL type ${scheme}://`, path, true);
  if (scheme === 'remote') return { ...data };
  return validateFields(data, fields, path, REMOTE_DEFAULTS[scheme] ?? {});
}

/**
 * Validates a merged config dict (sections -> options, `remote`/`machine`/`db` -> name -> options)
 * and returns a copy with values coerced and defaults filled in. Throws SchemaError.
 */
export function validateConfig(conf: Dict): Dict {
  const out: Dict = {};
  for (const [section, value] of Object.entries(conf)) {
    const path = [section];
    if (section === 'remote' || section === 'machine' || section === 'db') {
      if (!isDict(value)) throw new SchemaError('expected a dictionary', path, true);
      const named: Dict = {};
      for (const [name, v] of Object.entries(value)) {
        named[name] =
          section === 'remote'
            ? validateRemote(v, [section, name])
            : validateFields(v, section === 'machine' ? MACHINE : DB, [section, name]);
      }
      out[section] = named;
      continue;
    }
    const fields = SECTIONS[section];
    if (!fields) throw new SchemaError('extra keys not allowed', path, false);
    out[section] = validateFields(value, fields, path, SECTION_DEFAULTS[section], section === 'feature');
  }
  for (const s of SECTION_NAMES) {
    if (!(s in out)) out[s] = s === 'remote' || s === 'machine' || s === 'db' ? {} : { ...(SECTION_DEFAULTS[s] ?? {}) };
  }
  return out;
}
