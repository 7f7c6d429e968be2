/**
 * Everything the reconciler says to VPP, through the generated message definitions:
 * - ./vpp/messages: which messages, which newer versions the connected VPP has, the up-front check;
 * - ./vpp/observe: the dumps that build an ActualState, and the re-read after an apply;
 * - ./vpp/steps: one function per plan step that performs it and returns how to undo it.
 */
export {
  MUTATING_MESSAGES,
  checkReconcileApi,
  hasPeerV2,
  hasRouteSources,
  messageDef,
  reconcileMessages,
} from './vpp/messages';
export { newTouched, observe, observeTouched, readPeers, type ObserveOptions, type Touched } from './vpp/observe';
export { executeStep, type ExecContext, type Undo } from './vpp/steps';
