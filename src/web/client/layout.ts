// What every page shares: the top bar (who is signed in), the sign-in form,
// and the live-connection badge.
import { createNotice, h, onSubmit } from "./dom.ts";
import { devSignIn } from "./dev-login.ts";
import { ROLES, saveToken, type Role, type Session } from "./session.ts";
import type { SocketState } from "./socket.ts";

export function topBar(session: Session | null, onSignOut: () => void): HTMLElement {
  const who = session
    ? h(
        "div",
        { class: "who" },
        h("span", { id: "whoami", "data-user-id": session.userId, "data-role": session.role }, `User ${session.userId} · ${session.role}`),
        h("button", { type: "button", class: "link", onclick: onSignOut }, "Sign out"),
      )
    : h("div", { class: "who" }, h("span", { class: "muted" }, "Not signed in"));
  return h(
    "header",
    { class: "topbar" },
    h("a", { class: "brand", href: "/" }, h("span", { class: "brand-dot", "aria-hidden": "true" }), "Ovation"),
    h("nav", {}, h("a", { href: "/" }, "Rooms"), h("a", { href: "/anchor" }, "Console")),
    who,
  );
}

/** Dev login (user id + role) when the server allows it; pasting a token always. */
export function signInForm(opts: { devLogin: boolean; role: Role; onSignedIn(s: Session): void }): HTMLElement {
  const notice = createNotice("sign-in-error");
  const parts: HTMLElement[] = [h("h1", {}, "Sign in")];
  if (opts.devLogin) {
    const userId = h("input", { name: "userId", type: "number", min: 1, step: 1, required: true, placeholder: "e.g. 2001", inputmode: "numeric" });
    const role = h("select", { name: "role" }, ...ROLES.map((r) => h("option", { value: r, selected: r === opts.role }, r)));
    parts.push(
      h(
        "form",
        {
          class: "stack",
          id: "dev-login",
          onsubmit: onSubmit(notice, async () => opts.onSignedIn(await devSignIn(Number(userId.value), role.value as Role))),
        },
        h("p", { class: "muted" }, "Dev login is on: pick any user id and a role."),
        h("label", {}, "User id", userId),
        h("label", {}, "Role", role),
        h("button", { type: "submit", class: "primary" }, "Sign in"),
      ),
    );
  }
  const token = h("textarea", { name: "token", rows: 3, required: true, placeholder: "eyJhbGciOiJIUzI1NiIs…" });
  parts.push(
    h(
      "form",
      {
        class: "stack",
        id: "token-login",
        onsubmit: onSubmit(notice, () => opts.onSignedIn(saveToken(token.value))),
      },
      h("p", { class: "muted" }, opts.devLogin ? "Or paste an access token:" : "Paste an access token (`npm run token -- --user 42 --role viewer` prints one):"),
      token,
      h("button", { type: "submit" }, "Use this token"),
    ),
    notice.el,
  );
  return h("section", { class: "card sign-in" }, ...parts);
}

export function connectionBadge() {
  const el = h("span", { class: "conn", id: "conn", "data-state": "connecting" }, "connecting…");
  return {
    el,
    set(state: SocketState, retryInMs?: number) {
      el.dataset.state = state;
      el.textContent = state === "live" ? "live" : state === "connecting" ? "connecting…" : `reconnecting in ${Math.ceil((retryInMs ?? 0) / 1000)} s…`;
    },
  };
}
