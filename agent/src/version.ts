import { packageVersion } from '../../lib/package-root.js';

/** The package version; the plugin sends its own as client_version and the majors must match. */
export const AGENT_VERSION: string = packageVersion();
