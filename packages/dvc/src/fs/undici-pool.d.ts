// undici's connection pool, imported alone (s3-direct.ts): its package root also loads fetch,
// WebSocket, the cache and the mock agents, which cost start-up time the fast path never uses.
declare module 'undici/lib/dispatcher/pool.js' {
  import Pool from 'undici/types/pool';
  export default Pool;
}
