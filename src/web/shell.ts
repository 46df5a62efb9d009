// The HTML every page starts from: which page it is and the few facts the
// client needs before its first API call, as data attributes on <body>.
export type PageName = "rooms" | "viewer" | "anchor" | "not-found";

const TITLES: Record<PageName, string> = {
  rooms: "Living rooms",
  viewer: "Live room",
  anchor: "Anchor console",
  "not-found": "Not found",
};

export function renderShell(p: { page: PageName; roomId?: number; devLogin: boolean; scriptUrl: string; stylesheetUrl: string }): string {
  const room = p.roomId === undefined ? "" : ` data-room-id="${p.roomId}"`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="theme-color" content="#14121f">
<title>${TITLES[p.page]} · Ovation</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${p.stylesheetUrl}">
</head>
<body data-page="${p.page}" data-dev-login="${p.devLogin ? "1" : "0"}"${room}>
<div id="app"><p class="loading">Loading…</p></div>
<noscript><p class="notice error">These pages need JavaScript.</p></noscript>
<script type="module" src="${p.scriptUrl}"></script>
</body>
</html>`;
}
