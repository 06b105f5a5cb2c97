import { defineConfig } from 'vite';

/** The portal is served by api-gateway at /portal/ (apps/api-gateway/src/portal); assets are content-hashed. */
export default defineConfig({
  base: '/portal/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
});
