// A value components can watch: set() re-renders every component that called use(). (Twenty lines instead of a
// state library: the console has two such values, the language and the session.)
import { useEffect, useState } from 'preact/hooks';

export interface Signal<T> { get(): T; set(v: T): void; subscribe(fn: () => void): () => void }

export function signal<T>(initial: T): Signal<T> {
  let value = initial;
  const subs = new Set<() => void>();
  return {
    get: () => value,
    set(v) { value = v; for (const fn of [...subs]) fn(); },
    subscribe(fn) { subs.add(fn); return () => subs.delete(fn); },
  };
}

/** The signal's value in a component, re-rendering it when the value changes. */
export function use<T>(s: Signal<T>): T {
  const [, tick] = useState(0);
  useEffect(() => s.subscribe(() => tick((n) => n + 1)), [s]);
  return s.get();
}
