/**
 * Optimizer hooks: the hook types, the ordered hook lists, and the global step hooks
 * (`torch.optim.optimizer.register_optimizer_step_pre_hook` / `_post_hook`). The
 * `register...Hook` methods and the order hooks run in are `Optimizer`'s.
 */
import type { Optimizer } from './optimizer.js';
import type { OptimizerStateDict } from './state.js';

/** A handle returned by every `register...Hook`; `remove()` unregisters the hook. */
export interface RemovableHandle {
  /** Removes the hook. */
  remove(): void;
}

/** Called before `step`; may return replacement arguments (`[closure]`). */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook may return nothing
export type StepPreHook = (optimizer: Optimizer, args: unknown[]) => unknown[] | undefined | void;
/** Called after `step`. */
export type StepPostHook = (optimizer: Optimizer, args: unknown[]) => void;
export type StateDictPreHook = (optimizer: Optimizer) => void;
/** May return a replacement state dict. */
export type StateDictPostHook = (
  optimizer: Optimizer,
  stateDict: OptimizerStateDict,
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook may return nothing
) => OptimizerStateDict | undefined | void;
/** May return a replacement state dict to load. */
export type LoadStateDictPreHook = (
  optimizer: Optimizer,
  stateDict: OptimizerStateDict,
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook may return nothing
) => OptimizerStateDict | undefined | void;
export type LoadStateDictPostHook = (optimizer: Optimizer) => void;

/** Hooks in the order they run; `prepend` puts one first. */
export class HookList<H> {
  private readonly hooks = new Map<number, H>();
  private next = 0;
  add(h: H, prepend = false): RemovableHandle {
    const id = this.next++;
    if (prepend) {
      const rest = [...this.hooks];
      this.hooks.clear();
      this.hooks.set(id, h);
      for (const [k, v] of rest) this.hooks.set(k, v);
    } else {
      this.hooks.set(id, h);
    }
    return { remove: () => void this.hooks.delete(id) };
  }
  values(): H[] {
    return [...this.hooks.values()];
  }
}

/** The hooks every optimizer runs around its step (global pre hooks first, global post hooks last). */
export const globalPreHooks = new HookList<StepPreHook>();
export const globalPostHooks = new HookList<StepPostHook>();

/** `torch.optim.optimizer.register_optimizer_step_pre_hook`: runs before every optimizer's step. */
export function registerOptimizerStepPreHook(hook: StepPreHook): RemovableHandle {
  return globalPreHooks.add(hook);
}

/** `torch.optim.optimizer.register_optimizer_step_post_hook`: runs after every optimizer's step. */
export function registerOptimizerStepPostHook(hook: StepPostHook): RemovableHandle {
  return globalPostHooks.add(hook);
}
