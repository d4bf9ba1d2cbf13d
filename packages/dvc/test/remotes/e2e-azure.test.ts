// dvc push/pull/status -c/gc -c to an Azure remote on Azurite, through the CLI.
import { describe, before } from 'node:test';
import { testServer, uniqueName } from './servers.js';
import { e2eTests } from './e2e-common.js';
import { AzureFileSystem } from '../../src/fs/azure.js';

const server = testServer('azurite');
const info = server.info;
const container = uniqueName('e2e').toLowerCase();
const creds = () => ({ connection_string: info!.connection_string! });

describe('e2e: azure remote on Azurite', { skip: server.skip, timeout: 300_000 }, () => {
  before(async () => {
    await new AzureFileSystem(`azure://${container}`, creds()).createContainer();
  });
  e2eTests('azure', {
    url: (name) => `azure://${container}/${name}`,
    options: info ? creds() : {},
    open: async (name) => new AzureFileSystem(`azure://${container}/${name}`, creds()),
    badOptions: info ? { connection_string: info.connection_string!.replace(info.account_key!, Buffer.alloc(64, 9).toString('base64')) } : 'no server',
    missingUrl: `azure://${container}-missing/x`,
    badMessage: /access denied/,
  });
});
