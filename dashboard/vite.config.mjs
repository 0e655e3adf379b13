// The dashboard's build: preact + uPlot into ../dist/dashboard, hashed assets under /assets/, no inline
// script (the admin listener's Content-Security-Policy allows scripts and styles from itself only).
import { fileURLToPath } from 'node:url';
import { preact } from '@preact/preset-vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default {
  root: here,
  base: '/',
  logLevel: 'warn',
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
  },
};
