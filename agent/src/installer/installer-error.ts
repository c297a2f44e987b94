/** Why install-cni or uninstall-cni could not do its job; the message says what to fix. */
import { PodeipError } from '../../../lib/errors.js';

export type InstallerErrorCode =
  | 'InvalidInstallerFlag'
  | 'NoCniConfig'
  | 'InvalidCniConfig'
  | 'UnsupportedCniVersion'
  | 'PluginBinaryMissing'
  | 'ConvertedConfigNotPrimary';

export class InstallerError extends PodeipError {
  declare readonly code: InstallerErrorCode;
  constructor(code: InstallerErrorCode, message: string) {
    super(code, message);
  }
}
