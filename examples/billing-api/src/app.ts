import type { TokenwardVerifier, VerifierOptions } from '@tokenward/client';
import { requirePermission, requireRole, tokenward } from '@tokenward/client/express';
import express, { type Express } from 'express';

interface Invoice {
  id: number;
  customer: string;
  amountCents: number;
  status: 'open' | 'paid' | 'refunded';
  createdBy: string;
}

/**
 * A small billing API of its own, protected by Tokenward. Who may do what is decided by roles
 * defined in Tokenward (see README.md): `billing:read` to list invoices, `billing:write` to
 * create them, `billing:refund` to refund, and the role `BillingAdmin` for the revenue report.
 */
export function buildBillingApi(options: VerifierOptions | { verifier: TokenwardVerifier }): Express {
  const invoices: Invoice[] = [
    { id: 1, customer: 'ACME', amountCents: 12_000, status: 'open', createdBy: 'seed' },
  ];
  const app = express();
  app.use(express.json());

  // Public: no token needed.
  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });

  // Everything below needs a valid Tokenward token.
  app.use(tokenward(options));

  app.get('/me', (req, res) => {
    const auth = req.tokenward!;
    res.json({ name: auth.name, roles: auth.roles, via: auth.verifiedBy, act: auth.act ?? null });
  });

  app.get('/invoices', requirePermission('billing:read'), (_req, res) => {
    res.json({ items: invoices });
  });

  app.post('/invoices', requirePermission('billing:write'), (req, res) => {
    const { customer, amountCents } = (req.body ?? {}) as { customer?: unknown; amountCents?: unknown };
    if (typeof customer !== 'string' || !Number.isInteger(amountCents)) {
      res.status(400).json({
        errorCode: 1000,
        errorMessage: 'customer and amountCents are required.',
        code: 'invalid_request',
      });
      return;
    }
    const invoice: Invoice = {
      id: invoices.length + 1,
      customer,
      amountCents: amountCents as number,
      status: 'open',
      createdBy: req.tokenward!.name,
    };
    invoices.push(invoice);
    res.status(201).json(invoice);
  });

  app.post('/invoices/:id/refund', requirePermission('billing:refund'), (req, res) => {
    const invoice = invoices.find((i) => i.id === Number(req.params.id));
    if (!invoice) {
      res.status(404).json({ errorCode: 4000, errorMessage: 'No such invoice.', code: 'not_found' });
      return;
    }
    invoice.status = 'refunded';
    res.json(invoice);
  });

  app.get('/reports/revenue', requireRole('BillingAdmin'), (_req, res) => {
    const total = invoices.filter((i) => i.status !== 'refunded').reduce((n, i) => n + i.amountCents, 0);
    res.json({ totalCents: total, invoices: invoices.length });
  });

  return app;
}
