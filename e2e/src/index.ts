export { parseEnvFile, type StackEnv, stackEnv, uniqueName } from './stack.js';
