// Wrong credentials against nginx (HTTP and WebDAV remotes on its basic-auth server) are one clean
// ERROR line for every command that talks to the remote. A missing root is no error for these
// folder-like remotes (as in DVC: push creates it, and a folder not there yet is an empty remote).
import { describe } from 'node:test';
import { errorTests } from './e2e-common.js';
import { nginxEnv } from './nginx-env.js';

const { env, skip } = nginxEnv();
const folderRoot = 'a missing root is an empty remote here (push creates it, as in DVC)';

describe('e2e errors: http and webdav remotes on nginx', { skip, timeout: 300_000 }, () => {
  // The WebDAV port asks for basic auth; a plain HTTP remote can point at it too.
  const dav = env ? env.webdav.replace(/^http:/, 'webdav:') : '';
  errorTests('http', {
    url: (name) => `${env!.webdav}/${name}`,
    options: {},
    badOptions: env ? { user: env.user, password: 'wrong-password' } : 'no server',
    missingUrl: '',
    missingSkip: folderRoot,
    badMessage: /access denied \(HTTP 401\)/,
    // An http remote cannot list, so gc -c stops before asking it (its own clear error).
    skipCommands: ['gc -w -c -f'],
  });
  errorTests('webdav', {
    url: (name) => `${dav}/${name}`,
    options: {},
    badOptions: env ? { user: env.user, password: 'wrong-password' } : 'no server',
    missingUrl: '',
    missingSkip: folderRoot,
    badMessage: /access denied \(HTTP 401\)/,
  });
});
