import { CloudApiError } from '../errors.js';
import type { ApiAction } from './types.js';

/** The actions the simulator serves, looked up by (API version, action name). */
export class ActionRegistry {
  private readonly byKey = new Map<string, ApiAction>();

  constructor(actions: readonly ApiAction[]) {
    for (const a of actions) this.byKey.set(`${a.version}/${a.name}`, a);
  }

  get(version: string, name: string): ApiAction {
    const action = this.byKey.get(`${version}/${name}`);
    if (!action) {
      throw new CloudApiError(
        'InvalidAction.NotFound',
        404,
        `Specified api is not found, please check your url and method. (${name} in version ${version})`,
      );
    }
    return action;
  }

  names(): string[] {
    return [...new Set([...this.byKey.values()].map((a) => a.name))];
  }
}
