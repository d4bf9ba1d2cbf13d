/** A registry served over ssh by the test sshd: git clones it, DVC data comes from its remote. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { sshKnownHosts, testServer, uniqueName } from '../remotes/servers.js';
import { registry } from './helpers.js';

const server = testServer('sshd');

describe('registry over ssh (git clone through OpenSSH)', { skip: server.skip }, () => {
  test('ls, get and import from ssh://', () => {
    const info = server.info!;
    const r = registry();
    // the registry as a bare repository in the ssh user's folder
    const bare = join(info.root!, `${uniqueName('registry')}.git`);
    const clone = spawnSync('git', ['clone', '-q', '--bare', r.src, bare], { encoding: 'utf8' });
    assert.equal(clone.status, 0, clone.stderr);
    assert.equal(spawnSync('chown', ['-R', `${info.user}:`, bare]).status, 0);
    const env = {
      GIT_SSH_COMMAND: `ssh -i ${info.keyfile} -o IdentitiesOnly=yes -o UserKnownHostsFile=${sshKnownHosts(info)} -o StrictHostKeyChecking=yes -o BatchMode=yes`,
    };
    const url = `ssh://${info.user}@${info.host}:${info.port}${bare}`;
    const ls = r.dvc(['ls', '-R', url], { env });
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal(ls.stdout, '.dvcignore\n.gitignore\nREADME.txt\ndata.dvc\ndata/file\ndata/new.txt\ndata/sub/s.txt\n');
    const get = r.dvc(['get', '--rev', 'v1', url, 'data/file', '-o', 'old.txt'], { env });
    assert.equal(get.code, 0, get.stderr);
    assert.equal(readFileSync(join(r.repo, 'old.txt'), 'utf8'), 'v1\n');
    const imp = r.dvc(['import', url, 'data', '-o', 'd'], { env });
    assert.equal(imp.code, 0, imp.stderr);
    assert.equal(readFileSync(join(r.repo, 'd', 'new.txt'), 'utf8'), 'new\n');
    assert.equal(parse(readFileSync(join(r.repo, 'd.dvc'), 'utf8')).deps[0].repo.url, url);
    spawnSync('rm', ['-rf', bare]);
  });
});
