/**
 * Device loss as an error for everything that waits on the GPU.
 *
 * `device.lost` normally never settles, so racing each await against it (`Promise.race`)
 * would leave one reaction on it per call for the device's life: 30,000 reads grew the
 * heap by 15 MB. Instead one listener, attached once, rejects the set of waits pending at
 * that moment, and each wait leaves the set as soon as it settles.
 */
import { WebGPUDeviceLostError } from './errors.js';

export class DeviceLoss {
  /** Set once the device is lost (or the backend destroyed); every later call throws it. */
  error: WebGPUDeviceLostError | null = null;
  /** The reject functions of the waits in flight. */
  private readonly waiters = new Set<(e: Error) => void>();

  constructor(lost: Promise<GPUDeviceLostInfo>) {
    void lost.then((info) => {
      this.fail(new WebGPUDeviceLostError(info.reason ?? 'unknown', info.message || 'no message'));
    });
  }

  /** Waits in flight (a test sees that none is left behind). */
  get pending(): number {
    return this.waiters.size;
  }

  /** Records the loss (the first reason wins) and rejects every wait in flight. */
  fail(error: WebGPUDeviceLostError): void {
    this.error ??= error;
    for (const reject of this.waiters) reject(this.error);
    this.waiters.clear();
  }

  /** `p`'s outcome, or the device-lost error if the device is lost first. */
  guard<T>(p: Promise<T>): Promise<T> {
    if (this.error) return Promise.reject(this.error);
    return new Promise<T>((resolve, reject) => {
      this.waiters.add(reject);
      p.then(
        (v) => {
          this.waiters.delete(reject);
          resolve(v);
        },
        (e: unknown) => {
          this.waiters.delete(reject);
          reject(e);
        },
      );
    });
  }

  /** Whether the device is reported lost within `ms` (its `lost` may settle just after a failed call). */
  lostWithin(ms: number): Promise<boolean> {
    if (this.error) return Promise.resolve(true);
    return this.guard(new Promise<void>((r) => setTimeout(r, ms))).then(
      () => false,
      () => true,
    );
  }
}
