#!/usr/bin/env node
// Committed shim so npm can link the bin before the TypeScript build has run; the CLI runs from here only.
import { runAsProcess } from '../dist/main.js';

await runAsProcess();
