/// <reference lib="dom" />
// The pages' entry point: which page this is comes from the shell's <body>
// data attributes; sign in (?as=, the stored tab session, or the form), then
// render the page. Any failure nobody caught is shown on the page, never only
// in the console.
import { messageOf } from "./api.ts";
import { createNotice, h } from "./dom.ts";
import { renderAnchorPage } from "./anchor-page.ts";
import { signInForm, topBar } from "./layout.ts";
import { renderRoomsPage } from "./rooms-page.ts";
import { devSignIn } from "./dev-login.ts";
import { clearSession, loadSession, type Role, type Session } from "./session.ts";
import { renderViewerPage } from "./viewer/page.ts";

const { page = "rooms", devLogin, roomId } = document.body.dataset;
const root = document.getElementById("app")!;
const pageError = createNotice("page-error");

function showFailure(err: unknown, what = "Something went wrong"): void {
  pageError.show(`${what}: ${messageOf(err)}`, "error");
  // Below the top bar, above the page.
  if (!pageError.el.isConnected) root.insertBefore(pageError.el, root.querySelector("main"));
}
window.addEventListener("error", (ev: ErrorEvent) => showFailure(ev.error ?? ev.message));
window.addEventListener("unhandledrejection", (ev: PromiseRejectionEvent) => showFailure(ev.reason));

function render(session: Session | null): void {
  const main = h("main", { class: `page page-${page}` });
  root.replaceChildren(
    topBar(session, () => {
      clearSession();
      render(null);
    }),
    main,
  );
  if (page === "rooms") return renderRoomsPage(main);
  if (page === "not-found") {
    main.append(h("section", { class: "card" }, h("h1", {}, "Not found"), h("p", {}, `No page at ${location.pathname}.`), h("a", { href: "/" }, "See the living rooms")));
    return;
  }
  if (!session) {
    main.append(signInForm({ devLogin: devLogin === "1", role: page === "anchor" ? "anchor" : "viewer", onSignedIn: render }));
    return;
  }
  if (page === "anchor") void renderAnchorPage(main, session);
  else void renderViewerPage(main, session, Number(roomId));
}

/**
 * `?as=<userId>` (dev login only): sign this tab in as that user, then drop it
 * from the address. False when it was there and failed (the page is rendered
 * already, with the reason).
 */
async function signInFromAddress(): Promise<boolean> {
  const url = new URL(location.href);
  const as = url.searchParams.get("as");
  if (as === null) return true;
  url.searchParams.delete("as");
  history.replaceState(null, "", url);
  const role: Role = page === "anchor" ? "anchor" : "viewer";
  try {
    if (devLogin !== "1") throw new Error("?as= signs in only when the server runs with OVATION_DEV_LOGIN=1");
    if (!/^[1-9]\d{0,15}$/.test(as)) throw new Error("the user id must be a positive whole number");
    await devSignIn(Number(as), role);
  } catch (err) {
    // Not silently on as whoever this tab was before.
    clearSession();
    render(null);
    showFailure(err, `Could not sign in as ${role} "${as}"`);
    return false;
  }
  return true;
}

if (await signInFromAddress()) render(loadSession());
