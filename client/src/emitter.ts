/** A small typed event emitter (the browser has no node:events): `on` returns its own unsubscribe. */
export class Emitter<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  private readonly listeners = new Map<keyof Events, Set<Events[keyof Events]>>();

  /** Calls `listener` on every `event`; returns a function that stops it. */
  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  /** Calls `listener` on the next `event` only. */
  once<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    const off = this.on(event, ((...args: Parameters<Events[K]>) => {
      off();
      listener(...args);
    }) as Events[K]);
    return off;
  }

  off<K extends keyof Events>(event: K, listener: Events[K]): void {
    this.listeners.get(event)?.delete(listener);
  }

  /** Resolves with the arguments of the next `event` that passes `filter`. */
  waitFor<K extends keyof Events>(
    event: K,
    filter: (...args: Parameters<Events[K]>) => boolean = () => true,
  ): Promise<Parameters<Events[K]>> {
    return new Promise((resolve) => {
      const off = this.on(event, ((...args: Parameters<Events[K]>) => {
        if (!filter(...args)) return;
        off();
        resolve(args);
      }) as Events[K]);
    });
  }

  protected emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      // A throwing listener must not keep the others (or the gateway's bookkeeping) from running.
      try {
        (listener as (...a: Parameters<Events[K]>) => void)(...args);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
