#!/usr/bin/env node
// npm run playground: builds the page with Vite (web/dist) and serves the build on 127.0.0.1.
// Options: --port <n> (default 5174, or PORT; the next free port is taken if it is busy), --no-build (serve the
// last build), --dev (Vite's dev server with hot reload instead of a build).
import { fileURLToPath } from 'node:url';
import { build, createServer, preview } from 'vite';

const args = process.argv.slice(2);
const portArg = args.indexOf('--port');
const portText = portArg >= 0 ? args[portArg + 1] : process.env.PORT ?? '5174';
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`playground: --port expects a port number, got '${portText}'`);
  process.exit(2);
}
const configFile = fileURLToPath(new URL('./vite.config.ts', import.meta.url));

if (args.includes('--dev')) {
  const server = await createServer({ configFile, server: { host: '127.0.0.1', port, strictPort: false } });
  await server.listen();
  console.log(`playground (dev): serving on ${server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`}  (Ctrl+C to stop)`);
} else {
  if (!args.includes('--no-build')) {
    const started = Date.now();
    await build({ configFile, logLevel: 'warn' });
    console.log(`playground: built web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const server = await preview({ configFile, preview: { host: '127.0.0.1', port, strictPort: false, open: false } });
  console.log(`playground: serving on ${server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`}  (Ctrl+C to stop)`);
}
