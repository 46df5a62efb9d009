// The viewer's coin balance (GET /api/wallet: the settled balance).
import { api, messageOf } from "../api.ts";
import { h, type Notice } from "../dom.ts";

export function createWalletView(notice: Notice) {
  const amount = h("strong", { id: "balance" }, "…");
  const el = h("div", { class: "balance" }, h("span", { class: "coin", "aria-hidden": "true" }), amount, h("span", { class: "muted" }, " coins"));
  let current: number | null = null;
  return {
    el,
    get balance() {
      return current;
    },
    async refresh(): Promise<void> {
      try {
        const w = await api<{ balance: number }>("GET", "/api/wallet");
        current = w.balance;
        amount.textContent = w.balance.toLocaleString("en-US");
        amount.dataset.balance = String(w.balance);
      } catch (err) {
        notice.show(`Balance unavailable: ${messageOf(err)}`, "error");
      }
    },
  };
}
export type WalletView = ReturnType<typeof createWalletView>;
