// What a panel of the viewer page gets: the room, who is watching, the
// wallet, the page's notice line and the room's pushes. The page lays out
// whatever list of panels it is given; panels that tell one story (the
// anchor's products, the cart, my orders) talk through page events (`emit`).
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
  /** Subscribes to one type of push on the room's socket, or of the page's own events. */
  on(type: string, handler: (m: ServerMessage) => void): void;
  /** Tells the other panels of something on this page (types starting "page:", never sent by the server). */
  emit(m: ServerMessage): void;
}

export type ViewerPanel = (ctx: RoomContext) => HTMLElement;
