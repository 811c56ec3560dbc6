let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

export function setGradEnabled(enabled: boolean): void {
  gradEnabled = enabled;
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = enabled;
  try {
    const result = fn();
    if (result instanceof Promise) {
      // An async body would outlive this scope and leak the mode into unrelated code.
      throw new TypeError('noGrad/enableGrad take a synchronous function');
    }
    return result;
  } finally {
    gradEnabled = previous;
  }
}

/** `with torch.no_grad():` — ops inside record no graph. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** `with torch.enable_grad():` */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}
