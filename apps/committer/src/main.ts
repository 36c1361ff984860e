#!/usr/bin/env node
/** `delta-writer-committer`: see process.ts and the README. */
import { exitOnFailure, runCommitterProcess } from './process.js';

runCommitterProcess().catch(exitOnFailure);
