/**
 * The outbox relays at least once (shared/outbox): an effect can reach the event stream twice,
 * under the same event id (`eid`). Every gateway reads the whole stream, so each remembers the
 * recent event ids with the stream entry that first carried them and applies only that entry.
 * Bounded: repeats come within the relay's grace period (seconds), far inside the last
 * CAPACITY events.
 */
const CAPACITY = 100_000;

export class RecentEvents {
  private readonly firstAt = new Map<string, string>();

  constructor(private readonly capacity = CAPACITY) {}

  /**
   * Whether the entry `id` carrying event `eid` is to be applied: true the first time `eid` is
   * seen (recorded then) and for that same entry again (a resume reads it a second time).
   */
  admit(eid: string, id: string): boolean {
    const first = this.firstAt.get(eid);
    if (first !== undefined) return first === id;
    this.firstAt.set(eid, id);
    if (this.firstAt.size > this.capacity) {
      const oldest = this.firstAt.keys().next().value;
      if (oldest !== undefined) this.firstAt.delete(oldest);
    }
    return true;
  }
}
