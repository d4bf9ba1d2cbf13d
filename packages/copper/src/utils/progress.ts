/**
 * A one-line progress counter (files, bytes, rate) for long data work such as a DVC checkout:
 * drawn on stderr only when it is a TTY and not quiet (CI, pipes and -q see nothing).
 */
export interface Counter {
  advance(files: number, bytes?: number): void;
  done(): void;
}

export const progressState = { quiet: false };

function human(bytes: number): string {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i ? 1 : 0)} ${u[i]}`;
}

export function counter(label: string, stream: { isTTY?: boolean; write(s: string): unknown } = process.stderr): Counter {
  const on = stream.isTTY === true && !progressState.quiet && !process.env.CI;
  const start = Date.now();
  let files = 0;
  let bytes = 0;
  let last = 0;
  let drawn = false;
  return {
    advance(f: number, b = 0) {
      files += f;
      bytes += b;
      const now = Date.now();
      if (!on || now - last < 100) return;
      last = now;
      const secs = Math.max(1e-3, (now - start) / 1000);
      stream.write(`\r\x1b[2K${label}: ${files} files${bytes ? `, ${human(bytes)}` : ''}, ${(files / secs).toFixed(0)} files/s`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
