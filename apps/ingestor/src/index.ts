export { ConfigError, type IngestorConfig, loadConfig, redactedConfig } from './config/load.js';
export { renderConfigReference } from './config/reference.js';
export { createRouter, type RouteResult, routeTopic, type TableRoute } from './routing.js';
