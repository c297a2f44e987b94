/** The plugin's semantic version, sent as `client_version` (kept equal to package.json by a test). */
export const PLUGIN_VERSION = '0.1.0';
