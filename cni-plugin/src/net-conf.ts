/**
 * The plugin's network configuration as the runtime writes it on stdin: our keys from the
 * conflist entry, plus what the runtime injects (cniVersion, name, prevResult, runtimeConfig).
 * Keys we do not know are ignored, as every CNI plugin does.
 */
import { IncompatibleVersionError, InvalidNetworkConfigError } from './cni-error.js';
import { DEFAULT_SOCKET_PATH, POD_ANNOTATIONS_CAPABILITY, SUPPORTED_CNI_VERSIONS } from '../../lib/cni-contract.js';
import { isSupportedVersion, type CniVersion } from './cni-versions.js';

/**
 * Above the agent's default attach timeout (100 s), so the agent answers first with its own
 * deadline error and keeps working; below kubelet's 120 s CRI timeout, so the runtime still gets
 * our "try again later" instead of cancelling us.
 */
export const DEFAULT_TIMEOUT_SECONDS = 110;
export const VALID_ATTACHMENTS_KEY = 'cni.dev/valid-attachments';

export interface Attachment {
  containerId: string;
  ifname: string;
}

export interface NetConf {
  cniVersion: CniVersion;
  socketPath: string;
  timeoutSeconds: number;
  logFile: string | undefined;
  /** undefined when the runtime did not pass the pod's annotations. */
  podAnnotations: Record<string, string> | undefined;
  /** The previous plugin's result, as parsed; undefined when the runtime passed none. */
  prevResult: Record<string, unknown> | undefined;
  /** GC only: the attachments the runtime still uses. */
  validAttachments: Attachment[] | undefined;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseJsonObject(stdin: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdin);
  } catch (error) {
    throw new InvalidNetworkConfigError(
      `network config on stdin is not valid JSON (${(error as Error).message}); the runtime passes the conflist entry as JSON`,
    );
  }
  if (!isObject(parsed)) throw new InvalidNetworkConfigError('network config on stdin must be a JSON object');
  return parsed;
}

/** The cniVersion of a config, checked against what we speak. */
export function readCniVersion(config: Json): CniVersion {
  const version = config.cniVersion;
  if (typeof version !== 'string' || version === '') {
    throw new InvalidNetworkConfigError(
      'cniVersion is missing from the network config; set "cniVersion" in the conflist',
    );
  }
  if (!isSupportedVersion(version)) {
    throw new IncompatibleVersionError(
      `cniVersion "${version}" is not supported by podeip; use one of ${SUPPORTED_CNI_VERSIONS.join(', ')}`,
    );
  }
  return version;
}

function optionalString(config: Json, key: string): string | undefined {
  const value = config[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new InvalidNetworkConfigError(`"${key}" must be a non-empty string; got ${JSON.stringify(value)}`);
  }
  return value;
}

function absolutePath(config: Json, key: string): string | undefined {
  const value = optionalString(config, key);
  if (value !== undefined && !value.startsWith('/')) {
    throw new InvalidNetworkConfigError(`"${key}" must be an absolute path; got "${value}"`);
  }
  return value;
}

function timeoutSeconds(config: Json): number {
  const value = config.timeoutSeconds;
  if (value === undefined) return DEFAULT_TIMEOUT_SECONDS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 3600) {
    throw new InvalidNetworkConfigError(
      `"timeoutSeconds" must be a number of seconds in (0, 3600]; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function podAnnotations(config: Json): Record<string, string> | undefined {
  const runtimeConfig = config.runtimeConfig;
  if (runtimeConfig === undefined) return undefined;
  if (!isObject(runtimeConfig)) throw new InvalidNetworkConfigError('"runtimeConfig" must be a JSON object');
  const annotations = runtimeConfig[POD_ANNOTATIONS_CAPABILITY];
  if (annotations === undefined) return undefined;
  // containerd 1.6 sends null for a pod with no annotations: known, and empty.
  if (annotations === null) return {};
  const field = `runtimeConfig["${POD_ANNOTATIONS_CAPABILITY}"]`;
  if (!isObject(annotations))
    throw new InvalidNetworkConfigError(`${field} must be an object of annotation name to string value`);
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value !== 'string') {
      throw new InvalidNetworkConfigError(`${field}["${key}"] must be a string; got ${JSON.stringify(value)}`);
    }
  }
  return annotations as Record<string, string>;
}

function prevResult(config: Json): Json | undefined {
  const value = config.prevResult;
  if (value === undefined || value === null) return undefined;
  if (!isObject(value))
    throw new InvalidNetworkConfigError('"prevResult" must be a JSON object (the previous plugin\'s result)');
  return value;
}

function validAttachments(config: Json): Attachment[] | undefined {
  const value = config[VALID_ATTACHMENTS_KEY];
  if (value === undefined) return undefined;
  const field = `"${VALID_ATTACHMENTS_KEY}"`;
  if (!Array.isArray(value)) throw new InvalidNetworkConfigError(`${field} must be an array of {containerID, ifname}`);
  return value.map((entry: unknown, index) => {
    if (!isObject(entry) || typeof entry.containerID !== 'string' || typeof entry.ifname !== 'string') {
      throw new InvalidNetworkConfigError(`${field}[${index}] must be {"containerID": string, "ifname": string}`);
    }
    return { containerId: entry.containerID, ifname: entry.ifname };
  });
}

export function parseNetConf(stdin: string): NetConf {
  const config = parseJsonObject(stdin);
  return {
    cniVersion: readCniVersion(config),
    socketPath: absolutePath(config, 'socketPath') ?? DEFAULT_SOCKET_PATH,
    timeoutSeconds: timeoutSeconds(config),
    logFile: absolutePath(config, 'logFile'),
    podAnnotations: podAnnotations(config),
    prevResult: prevResult(config),
    validAttachments: validAttachments(config),
  };
}
