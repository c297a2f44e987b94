import { createRequire } from 'node:module';

/** The package version; the plugin sends its own as client_version and the majors must match. */
export const AGENT_VERSION: string = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;
