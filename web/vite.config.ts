import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The playground: web/ is the root; the library's sources (../src, ESM TypeScript with `.js` import
// specifiers) are bundled straight from source. Vite resolves a `.js` specifier written in a `.ts` file to
// the `.ts` file next to it, so no alias is needed.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
  },
  worker: { format: 'es' },
  server: { host: '127.0.0.1', fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  preview: { host: '127.0.0.1' },
});
