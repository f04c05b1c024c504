import { buildDashboard } from './app.js';

const tokenwardUrl = process.env.TOKENWARD_URL ?? 'http://localhost:5000';
const appToken = process.env.TOKENWARD_APP_TOKEN;
if (!appToken) {
  process.stderr.write('Set TOKENWARD_APP_TOKEN to the app token of this app; see README.md.\n');
  process.exit(2);
}
const port = Number(process.env.PORT ?? 4002);
buildDashboard({ tokenwardUrl, appToken, scope: process.env.DELEGATION_SCOPE ?? 'Reader' }).listen(
  port,
  () => {
    process.stdout.write(`Dashboard on http://localhost:${port} (Tokenward at ${tokenwardUrl})\n`);
  },
);
