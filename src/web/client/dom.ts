// A tiny element builder: text always goes in as text (gift names, titles and
// API messages are never parsed as HTML).
import { messageOf } from "./api.ts";
type Child = Node | string | number | null | undefined | false;
type AttrValue = string | number | boolean | null | undefined | ((ev: Event) => void);

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, AttrValue> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (name === "class") el.className = String(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "number" ? String(child) : child);
  }
  return el;
}

/** A status line for a page or panel: errors are announced (role=alert) and stay until replaced. */
export function createNotice(id?: string) {
  const el = h("p", { class: "notice", id, role: "status", hidden: true });
  return {
    el,
    show(message: string, kind: "error" | "info" | "ok" = "info") {
      el.hidden = false;
      el.className = `notice ${kind}`;
      el.setAttribute("role", kind === "error" ? "alert" : "status");
      el.dataset.kind = kind;
      el.textContent = message;
    },
    clear() {
      el.hidden = true;
      el.textContent = "";
    },
  };
}
export type Notice = ReturnType<typeof createNotice>;

export const coins = (n: number) => `${n.toLocaleString("en-US")} coin${n === 1 ? "" : "s"}`;
export const yuan = (cents: number) => `¥${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;

/** A form's submit handler: runs `action`, and shows its failure by message in `notice`. */
export function onSubmit(notice: Notice, action: () => Promise<void> | void) {
  return async (ev: Event) => {
    ev.preventDefault();
    try {
      await action();
    } catch (err) {
      notice.show(messageOf(err), "error");
    }
  };
}
