#!/usr/bin/env node
// The `tokenward` command. The code is compiled to ../dist (npm run build).
import '../dist/main.js';
