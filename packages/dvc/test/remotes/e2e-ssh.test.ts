// dvc push/pull/status -c/gc -c to an SSH remote on OpenSSH sshd, through the CLI.
import { describe } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sshKnownHosts, testServer } from './servers.js';
import { e2eTests, errorTests } from './e2e-common.js';
import { SshFileSystem } from '../../src/fs/ssh.js';

const server = testServer('sshd');
const info = server.info;
// The server's real host key, never the user's ~/.ssh (the CLI runs inherit it too); strict, so
// every connection proves the key was checked and matched.
if (info) {
  process.env.COPPER_SSH_KNOWN_HOSTS = sshKnownHosts(info);
  process.env.COPPER_SSH_STRICT_HOST_KEY_CHECKING = 'yes';
}
const url = (name: string) => `ssh://${info!.user}@${info!.host}:${info!.port}${info!.root}/${name}`;

describe('e2e: ssh remote on OpenSSH', { skip: server.skip, timeout: 300_000 }, () => {
  e2eTests('ssh', {
    url,
    options: info ? { keyfile: info.keyfile! } : {},
    open: async (name) => new SshFileSystem(url(name), { keyfile: info!.keyfile! }),
    badOptions: info ? { password: 'wrong-password' } : 'no server',
    // A folder the test user may not create: the SSH analogue of a missing bucket.
    missingUrl: info ? `ssh://${info.user}@${info.host}:${info.port}/root/not-allowed` : '',
    missingMessage: /permission denied/,
    badMessage: /authentication failed/,
  });
  // A key the server does not know (made here; the user's own keys are never tried then).
  const dir = mkdtempSync(join(tmpdir(), 'copper-sshkey-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const made = info ? spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'stranger')]).status === 0 : false;
  errorTests('ssh (unknown key)', {
    url,
    options: {},
    badOptions: made ? { keyfile: join(dir, 'stranger') } : 'ssh-keygen is not installed',
    missingUrl: '',
    missingSkip: 'the missing folder case is above',
    badMessage: /authentication failed/,
  });
});
