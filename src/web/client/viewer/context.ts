// What a panel of the viewer page gets: the room, who is watching, the
// wallet, the page's notice line and the room's pushes. Panels are
// independent; the page lays out whatever list it is given, so later panels
// (the anchor's products, the cart, orders) plug in the same way.
import type { Notice } from "../dom.ts";
import type { Room } from "../rooms-page.ts";
import type { Session } from "../session.ts";
import type { ServerMessage } from "../socket.ts";
import type { WalletView } from "./wallet.ts";

export interface RoomContext {
  room: Room;
  session: Session;
  wallet: WalletView;
  notice: Notice;
  /** Subscribes to one type of push on the room's socket. */
  on(type: string, handler: (m: ServerMessage) => void): void;
}

export type ViewerPanel = (ctx: RoomContext) => HTMLElement;
