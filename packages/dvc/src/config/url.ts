/**
 * URL helpers for remote and cache locations, following Python's urllib.parse.urlparse as DVC
 * uses it: a location is a URL only when it has a scheme and a netloc (`s3://bucket/path`);
 * anything else (`/srv/x`, `../remote`, `C:/x`) is a local path.
 */

/** The lower-case scheme of a URL with a netloc, or '' for a local path. */
export function parseUrlScheme(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(url);
  if (!m || m[2] === '') return '';
  return m[1]!.toLowerCase();
}

/** DVC's test for "this is a URL, leave it alone" when resolving config paths: `\w+://`. */
export function looksLikeUrl(path: string): boolean {
  return /^\w+:\/\//.test(path);
}
