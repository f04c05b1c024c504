#!/usr/bin/env node
/*
 * `npm run generate:client`: writes packages/client/src/generated/openapi.ts from the built
 * server's OpenAPI document (the npm script builds the server first).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildApp } from '../apps/server/dist/app.js';
import { loadConfig } from '../apps/server/dist/config.js';
import { GENERATED_PATH, openApiDocument, ROOT, renderClientTypes } from './client-types.mjs';

const target = join(ROOT, GENERATED_PATH);
const source = await renderClientTypes(await openApiDocument({ buildApp, loadConfig }));
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, source);
console.log(`wrote ${GENERATED_PATH}`);
