#!/usr/bin/env node
// The `nestjs-user-sessions` executable (package.json "bin"); all the work is in main().
import 'reflect-metadata';
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  isTTY: process.stdout.isTTY === true,
});
