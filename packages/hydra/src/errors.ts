/**
 * Error classes. Every error carries a one-line message that says what went wrong and,
 * where possible, how to fix the call. Names follow Hydra/OmegaConf so users can search them.
 */
export class HydraError extends Error {
  override name = 'HydraError';
  /** Extra lines (e.g. a caret under the bad character) shown by the CLI below the message. */
  declare detail?: string;
  constructor(message: string, detail?: string) {
    super(message);
    if (detail !== undefined) this.detail = detail;
  }
}

/** OmegaConf errors (access, merge, interpolation). */
export class OmegaConfError extends HydraError {
  override name = 'OmegaConfError';
  /** Dotted path of the node the error happened at, when known. */
  declare fullKey?: string;
}
export class MissingMandatoryValue extends OmegaConfError {
  override name = 'MissingMandatoryValue';
}
export class ConfigKeyError extends OmegaConfError {
  override name = 'ConfigKeyError';
}
export class ConfigTypeError extends OmegaConfError {
  override name = 'ConfigTypeError';
}
export class ReadonlyConfigError extends OmegaConfError {
  override name = 'ReadonlyConfigError';
}
export class ValidationError extends OmegaConfError {
  override name = 'ValidationError';
}
export class InterpolationResolutionError extends OmegaConfError {
  override name = 'InterpolationResolutionError';
}
export class InterpolationKeyError extends InterpolationResolutionError {
  override name = 'InterpolationKeyError';
}
export class UnsupportedInterpolationType extends InterpolationResolutionError {
  override name = 'UnsupportedInterpolationType';
}
export class GrammarParseError extends OmegaConfError {
  override name = 'GrammarParseError';
}

/** Bad command line override (syntax). */
export class OverrideParseError extends HydraError {
  override name = 'OverrideParseError';
  constructor(
    message: string,
    public override: string,
    public column: number,
  ) {
    super(message, `${override}\n${' '.repeat(Math.max(0, column))}^`);
  }
}
/** Composition failed (bad defaults list, override of unknown key, ...). */
export class ConfigCompositionError extends HydraError {
  override name = 'ConfigCompositionError';
}
/** A config file or config group option does not exist. */
export class MissingConfigError extends ConfigCompositionError {
  override name = 'MissingConfigError';
  constructor(
    message: string,
    public missingConfig: string,
    public options?: string[],
  ) {
    super(message);
  }
}
/** A YAML file could not be read. */
export class ConfigLoadError extends HydraError {
  override name = 'ConfigLoadError';
}
/** instantiate() failed. */
export class InstantiationError extends HydraError {
  override name = 'InstantiationError';
}
/**
 * A config gives a target a keyword it does not take (Python's `TypeError: got an unexpected
 * keyword argument`): `key` at `fullKey`, and the keys the target takes, closest match first.
 */
export class UnexpectedKeywordError extends InstantiationError {
  override name = 'UnexpectedKeywordError';
  constructor(
    readonly target: string,
    readonly key: string,
    /** Dotted path of the key in the config ('' parts omitted when the config has no parent). */
    readonly fullKey: string,
    /** The keys the target takes, closest to `key` first. */
    readonly accepted: string[],
  ) {
    super(`Error in call to target '${target}': TypeError: got an unexpected keyword argument '${key}'${fullKey && fullKey !== key ? ` (${fullKey})` : ''}; it takes: ${accepted.join(', ')}`);
  }
}
