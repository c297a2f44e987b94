/** The node's journal and the state dir lock. */
export {
  Journal,
  BINDING_STATES,
  TERMINAL_STATES,
  JOURNAL_SCHEMA_VERSION,
  POOL_STATES,
  type PoolRow,
  type PoolState,
  type PoolPatch,
  type BindingRow,
  type BindingState,
  type BindingMode,
  type BindingPatch,
  type NewBinding,
  type JournalOptions,
} from './journal.js';
export { StoreError, classifySqliteError, type StoreErrorCode } from './errors.js';
export { acquireStateDirLock, type StateDirLock } from './state-dir-lock.js';
