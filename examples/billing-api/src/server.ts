import { buildBillingApi } from './app.js';

const baseUrl = process.env.TOKENWARD_URL ?? 'http://localhost:5000';
const token = process.env.TOKENWARD_SERVICE_TOKEN;
if (!token) {
  process.stderr.write(
    'Set TOKENWARD_SERVICE_TOKEN to an app token of this service (role Reader); see README.md.\n',
  );
  process.exit(2);
}
const port = Number(process.env.PORT ?? 4000);
buildBillingApi({ baseUrl, token }).listen(port, () => {
  process.stdout.write(`Billing API on http://localhost:${port} (Tokenward at ${baseUrl})\n`);
});
