/** loadStateDict's error with long key lists cut short (one readable line). */
export function shortLoadError(e: unknown): string {
  const msg = String((e as Error).message ?? e).replace(/^loadStateDict: /, '');
  return msg.replace(/(missing keys|unexpected keys): ([^;]+)/g, (_, what: string, list: string) => {
    const keys = list.split(', ');
    return keys.length > 4 ? `${what}: ${keys.slice(0, 4).join(', ')} and ${keys.length - 4} more` : `${what}: ${list}`;
  });
}
