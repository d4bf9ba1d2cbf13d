/** The library's openFile/readFile: a tracked file at any revision of any repository, no checkout. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { IsADirectoryError, openFile, readFile, SourcePathError } from '../../src/index.js';
import { registry } from './helpers.js';

describe('openFile / readFile', () => {
  const r = registry({ repoIsDvc: false });
  const big = randomBytes(3 << 20);
  writeFileSync(join(r.src, 'big.bin'), big);
  r.inSrc(['add', '-q', 'big.bin']);
  r.inSrc(['push', '-q']);
  r.gitSrc(['add', '-A']);
  r.gitSrc(['commit', '-qm', 'big']);

  test('DVC-tracked and git-tracked files, at revisions and in the working tree', async () => {
    assert.equal(await readFile('data/file', { repo: r.src, encoding: 'utf8' }), 'v2\n');
    assert.equal(await readFile('data/file', { repo: r.src, rev: 'v1', encoding: 'utf8' }), 'v1\n');
    assert.equal(await readFile('data/sub/s.txt', { repo: r.src, rev: 'v1', encoding: 'utf8' }), 'sub\n');
    assert.equal(await readFile('README.txt', { repo: r.src, rev: 'v1', encoding: 'utf8' }), 'readme\n');
  });

  test('streams a large file, from the cache or (cache gone) from the remote of a clone', async () => {
    const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
    const hash = createHash('md5');
    let chunks = 0;
    for await (const c of await openFile('big.bin', { repo: r.src })) {
      hash.update(c as Buffer);
      chunks++;
    }
    assert.equal(hash.digest('hex'), md5(big));
    assert.ok(chunks > 1, 'read in chunks');
    rmSync(join(r.src, '.dvc', 'cache'), { recursive: true, force: true });
    const viaClone = await readFile('big.bin', { repo: pathToFileURL(r.src).href });
    assert.equal(md5(viaClone), md5(big));
    assert.equal(await readFile('data/file', { repo: r.src, rev: 'v1', encoding: 'utf8' }), 'v1\n');
  });

  test('a folder or a missing path is an error', async () => {
    await assert.rejects(openFile('data', { repo: r.src }), IsADirectoryError);
    await assert.rejects(openFile('data/nothing', { repo: r.src }), SourcePathError);
  });
});
