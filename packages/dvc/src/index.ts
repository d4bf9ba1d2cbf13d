/**
 * @copper/dvc: the library API (the `dvc` CLI is a thin layer over it).
 *
 *   import { Repo, add, status, checkout, dataVersion } from '@copper/dvc';
 *   const repo = Repo.open('/path/in/repo');
 *   await add(repo, ['data']);                    // writes data.dvc, fills the cache
 *   const { report } = await status(repo);        // {} when in sync
 *   await checkout(repo, [], { force: false });   // workspace <- cache
 *   dataVersion('data', { cwd: repo.root }).md5   // 'c748...dir'
 */
export * from './errors.js';
export type { FileSystem } from './fs/types.js';
export { LocalFileSystem, linkFileSync, writeFileAtomic, LINK_TYPES, type LinkType } from './fs/local.js';

// repository and operations
export { Repo } from './repo/repo.js';
export { ScmContext, DVC_DIR, type RepoOptions } from './repo/repo.js';
export { init, InitError, DVCIGNORE_TEXT, type InitOptions } from './repo/init.js';
export {
  openConfig,
  parseConfigName,
  configGet,
  configSet,
  configUnset,
  configList,
  cacheDirGet,
  cacheDirSet,
  cacheDirUnset,
} from './repo/config.js';
export {
  remoteAdd,
  remoteModify,
  remoteList,
  remoteDefault,
  remoteSetDefault,
  remoteRemove,
  remoteRename,
  type RemoteEntry,
} from './repo/remote.js';
export { add, type AddOptions, type AddedOutput } from './repo/add.js';
export { status, type StatusReport, type StatusResult } from './repo/status.js';
// DVC's wording of the results (what the CLI prints), for callers that want the same text
export { formatStatus } from './cli/text/status.js';
export { statusJson, pyJson } from './cli/text/json.js';
export { formatCheckoutChanges, formatCheckoutSummary, pullSummary } from './cli/text/checkout.js';
export { formatCloudStatus } from './cli/text/cloud-status.js';
export { formatDiff, formatDiffMarkdown, diffJsonData } from './cli/text/diff.js';
export {
  checkout,
  CheckoutFailedError,
  CheckoutUnsavedError,
  type CheckoutOptions,
  type CheckoutResult,
} from './repo/checkout.js';
export { commit, type CommitOptions } from './repo/commit.js';
export { remove } from './repo/remove.js';
export { move } from './repo/move.js';
export { unprotect } from './repo/unprotect.js';
export { dataVersion, dataVersions, type DataVersion } from './repo/data-version.js';
export { push, UploadError, type PushResult } from './repo/push.js';
export { pull, type PullOptions, type PullResult } from './repo/pull.js';
export { fetch, DownloadError, type FetchResult } from './repo/fetch.js';
export { gc, type GcOptions, type GcResult } from './repo/gc.js';
export { cloudStatus, type CloudStatusResult } from './repo/cloud-status.js';
// other repositories (data registries) and history
export { openFile, readFile, IsADirectoryError, type OpenFileOptions } from './repo/api.js';
export { SourceRepo, SourceError, SourcePathError, type SourceOptions, type LsEntry } from './repo/source.js';
export { get, getUrl as getShowUrl, FileExistsLocallyError, type GetOptions } from './repo/get.js';
export { importRepo, update, type ImportOptions, type UpdateOptions, type UpdateResult } from './repo/imp.js';
export { lsUrl, getUrl } from './repo/url.js';
export { install, HookExistsError } from './repo/install.js';
export { dataStatus, type DataStatus, type DataStatusOptions } from './repo/data-status.js';
export { diff, type DiffResult } from './repo/diff.js';
export { stageAdd, type StageAddOptions } from './repo/stage.js';
export { repro, type ReproOptions, type ReproResult } from './repo/repro.js';
export { loadPipeline, stageStatus, PipelineError, type Pipeline, type Stage, type StageStatus } from './repo/pipeline.js';
export { metricsShow, diffFiles as metricsParamsDiff } from './repo/metrics.js';
export {
  collectPlots,
  diffRevisions as plotsDiffRevisions,
  matchRenderers,
  plotsJson,
  plotsShow,
  writePlotsPage,
  type PlotProps,
  type PlotsShowResult,
  type RevPlots,
  type MatchedRenderer,
} from './repo/plots.js';
export { VegaRenderer, renderHtml, TEMPLATE_NAMES as PLOT_TEMPLATE_NAMES, builtinTemplate as plotTemplate } from './formats/vega.js';
export { setFrozen } from './repo/freeze.js';
export { destroy } from './repo/destroy.js';
export { mergeDvcFiles, MergeError } from './repo/merge-driver.js';
export { parseProjectFile, parseLockFile, type StageDef, type LockStage } from './formats/dvcyaml.js';
export { dumpYaml } from './formats/ruamel.js';
export type { SyncOptions } from './repo/data-sync.js';
export { openRemoteFs, supportedSchemes, type RemoteOptions } from './fs/registry.js';
export { collectDvcFiles, resolveTargets } from './repo/collect.js';
export { DataContext, withData, type HashSpace } from './repo/context.js';

// building blocks (remotes, gc, pipelines reuse these)
export {
  Config,
  NoRemoteError,
  mergeConfig,
  globalConfigDir,
  systemConfigDir,
  LEVELS,
  type Level,
  type ConfigDict,
  type RemoteConfig,
} from './config/config.js';
export { parseUrlScheme } from './config/url.js';
export { parseIni, writeIni, IniError, type IniSection, type IniValue } from './formats/config.js';
export { Git, ScmError, findGitRoot } from './scm/git.js';
export { withLock, isLockHeld, FAILED_TO_LOCK_MESSAGE } from './lock.js';
export { DvcFile, isLegacyOut, resolveOutPath, type DvcOut, type OutHash } from './formats/dvcfile.js';
export { DvcIgnore } from './formats/dvcignore.js';
export { md5File, md5FileSync, md5Bytes, md5Dos2UnixBytes, md5Dos2UnixFileSync, isTextBlock, MD5_RE, OID_RE, type HashName } from './hash/md5.js';
export { HashPool } from './hash/pool.js';
export { StateDb } from './hash/state.js';
export { LocalObjectStore, parseLinkTypes } from './odb/local.js';
export { oidToPath, pathToOid, legacyOidToPath, legacyPathToOid, isDirOid, FILES_PREFIX, LAYOUT_V2, LAYOUT_V3, layoutFor, type ObjectLayout } from './odb/layout.js';
export { ObjectDb } from './odb/db.js';
export {
  serializeManifest,
  parseManifest,
  hashManifest,
  diffTrees,
  compareCodePoints,
  checkRelpath,
  EMPTY_DIR_OID,
  type TreeEntry,
  type TreeDiff,
} from './tree/manifest.js';
export { hashWorkspace, type WsObject, type HashContext } from './sync/workspace.js';
export { outStatus, changedCache, type OutStatus } from './sync/status.js';
