import { defineConfig } from 'vite';

// No React plugin: Vite compiles TSX with the automatic JSX runtime on its own, and the
// console is served as built static files (no dev-server hot reload is needed).
export default defineConfig(({ command }) => ({
  root: import.meta.dirname,
  base: '/',
  // The served console is always React's production build, whatever NODE_ENV the shell has.
  define: command === 'build' ? { 'process.env.NODE_ENV': JSON.stringify('production') } : {},
  oxc: command === 'build' ? { jsx: { runtime: 'automatic', development: false } } : {},
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    // Inline data: URLs would need a looser Content-Security-Policy.
    assetsInlineLimit: 0,
  },
  server: {
    // `npm run dev -w @tokenward/console` against a server on the default port.
    proxy: { '/api': 'http://127.0.0.1:5000' },
  },
}));
