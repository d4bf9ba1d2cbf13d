// Runs firebase-tools' Cloud Storage emulator (a subset of the GCS JSON API) on 127.0.0.1 without
// its Java security-rules runtime, which firebase downloads on first start (impossible offline).
// Requests with "Authorization: Bearer owner" are admin requests and skip the rules entirely.
// Uses firebase-tools internals: keep the version pinned in package.json.
'use strict';
const http = require('node:http');
// Idle keep-alive connections live 2 minutes (node's default is 5 s): a request sent just as the
// server drops an idle socket fails with a reset, which bare-backend tests would see as flakiness.
const createServer = http.createServer;
http.createServer = function (...args) {
  const server = createServer.apply(this, args);
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  return server;
};
const { StorageEmulator } = require('firebase-tools/lib/emulator/storage');
const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry');

const port = Number(process.env.PORT || 9199);
const emulator = new StorageEmulator({
  projectId: process.env.PROJECT || 'demo-copper',
  host: '127.0.0.1',
  port,
  rules: { name: 'none', content: '' },
  auto_download: false,
});
// No rules runtime: every rule check is skipped.
emulator._rulesRuntime.start = async () => {};
emulator._rulesRuntime.stop = async () => {};
emulator._rulesManager = { start: async () => [], stop: async () => {}, getRuleset: () => undefined };

EmulatorRegistry.start(emulator).then(
  () => console.log(`gcs emulator listening on http://127.0.0.1:${port}`),
  (e) => {
    console.error(`gcs emulator failed to start: ${e && e.message}`);
    process.exit(1);
  },
);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => emulator.stop().finally(() => process.exit(0)));
