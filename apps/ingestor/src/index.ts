export { ConfigError, type IngestorConfig, loadConfig } from './config/load.js';
export { EnvSchema } from './config/schema.js';
export { createRouter, type RouteResult, routeTopic, type TableRoute } from './routing.js';
