// dvc push/pull/status -c/gc -c to an SSH remote on OpenSSH sshd, through the CLI.
import { describe } from 'node:test';
import { testServer } from './servers.js';
import { e2eTests } from './e2e-common.js';
import { SshFileSystem } from '../../src/fs/ssh.js';

const server = testServer('sshd');
const info = server.info;
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
});
