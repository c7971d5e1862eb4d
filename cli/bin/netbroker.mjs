#!/usr/bin/env node
// The `netbroker` command: runs the TypeScript sources through tsx (registered here, so it works
// from any directory), like the services' `node --import tsx src/main.ts`.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
