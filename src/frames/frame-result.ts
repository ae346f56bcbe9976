/**
 * frame-result: what a frame decoder returns. A frame that is not the kind asked for is an
 * expected outcome on a shared wire, so it is a value with a typed reason, not an exception.
 */

/** FrameResult is a decoded value, or the reason the bytes are not one plus a readable detail. */
export type FrameResult<T, Reason extends string> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: Reason; readonly detail: string };

/** accepted wraps a decoded value. */
export function accepted<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** rejected names why a frame was not decoded. */
export function rejected<Reason extends string>(reason: Reason, detail: string): { readonly ok: false; readonly reason: Reason; readonly detail: string } {
  return { ok: false, reason, detail };
}
