// The bus in process. Handlers run in a microtask, never inside publish(), as
// they would with Redis.
import { checkNonEmpty, checkString } from "../checks.ts";
import { InProcessAdapter } from "../in-process.ts";
import { deliverSafely, type Bus, type Unsubscribe } from "./port.ts";

interface Subscription {
  handler: (message: string) => void;
}

export class LocalBus extends InProcessAdapter implements Bus {
  private readonly channels = new Map<string, Set<Subscription>>();

  sweep(): void {
    // Nothing here expires.
  }

  async publish(channel: string, message: string): Promise<void> {
    this.open();
    checkNonEmpty("channel", channel);
    checkString("message", message);
    const subs = this.channels.get(channel);
    if (!subs || subs.size === 0) return;
    // Those subscribed at publish time receive it, unless they leave before delivery.
    const targets = [...subs];
    queueMicrotask(() => {
      for (const sub of targets) if (subs.has(sub)) deliverSafely(channel, sub.handler, message);
    });
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe> {
    this.open();
    checkNonEmpty("channel", channel);
    let subs = this.channels.get(channel);
    if (!subs) {
      subs = new Set();
      this.channels.set(channel, subs);
    }
    const sub: Subscription = { handler };
    subs.add(sub);
    const set = subs;
    return async () => {
      set.delete(sub);
      if (set.size === 0 && this.channels.get(channel) === set) this.channels.delete(channel);
    };
  }

  override close(): void {
    super.close();
    for (const subs of this.channels.values()) subs.clear();
    this.channels.clear();
  }
}
