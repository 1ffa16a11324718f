// Interactive scenes map: canvas scatter with zoom/pan, hover, search, click-for-neighbours.
// Every name comes from untrusted profiles: only textContent / fillText, never innerHTML.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("map-data").textContent);
  const count = data.x.length;
  const canvas = document.getElementById("map");
  const context = canvas.getContext("2d");
  const tooltip = document.getElementById("tooltip");
  const searchBox = document.getElementById("search");
  const resultList = document.getElementById("results");
  const statusLine = document.getElementById("status");
  const panel = document.getElementById("panel");
  const GREY = "#b8b8b8", HOVER_RADIUS_PX = 9, MAX_RESULTS = 20;

  const view = { scale: 1, fitScale: 1, tx: 0, ty: 0, dpr: 1 };
  const state = { hovered: -1, selected: -1, matches: [] };
  const api = {
    pointCount: count, drawnPoints: 0, lastOpenedUrl: null,
    select: (i) => select(i, true), search: (q) => runSearch(q), screenPosition: screenPosition,
  };
  window.scmapMap = api;

  // Data bounds and a grid index for nearest-point lookups under the mouse.
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < count; i++) {
    minX = Math.min(minX, data.x[i]); maxX = Math.max(maxX, data.x[i]);
    minY = Math.min(minY, data.y[i]); maxY = Math.max(maxY, data.y[i]);
  }
  if (!count) { minX = minY = -1; maxX = maxY = 1; }
  const GRID = 256;
  const cellSize = Math.max(maxX - minX, maxY - minY, 1e-9) / GRID;
  const grid = new Map();
  const cellKey = (cx, cy) => cx * 100003 + cy;
  for (let i = 0; i < count; i++) {
    const key = cellKey(Math.floor((data.x[i] - minX) / cellSize), Math.floor((data.y[i] - minY) / cellSize));
    if (!grid.has(key)) grid.set(key, []);
    grid.get(key).push(i);
  }
  const colourOf = (i) => (data.cluster[i] >= 0 ? data.clusters[data.cluster[i]].colour : GREY);
  const centres = data.clusters.map((cluster, c) => {
    let sx = 0, sy = 0, n = 0;
    for (let i = 0; i < count; i++) if (data.cluster[i] === c) { sx += data.x[i]; sy += data.y[i]; n++; }
    return { x: sx / Math.max(n, 1), y: sy / Math.max(n, 1), label: cluster.label, colour: cluster.colour };
  });

  function toScreen(i) { return [data.x[i] * view.scale + view.tx, -data.y[i] * view.scale + view.ty]; }
  function screenPosition(i) { const r = canvas.getBoundingClientRect(); const p = toScreen(i); return [p[0] + r.left, p[1] + r.top]; }
  function toData(sx, sy) { return [(sx - view.tx) / view.scale, -(sy - view.ty) / view.scale]; }

  function fitView() {
    const width = canvas.clientWidth, height = canvas.clientHeight, margin = 40;
    view.scale = view.fitScale = Math.min((width - 2 * margin) / Math.max(maxX - minX, 1e-9),
                                          (height - 2 * margin) / Math.max(maxY - minY, 1e-9));
    view.tx = width / 2 - ((minX + maxX) / 2) * view.scale;
    view.ty = height / 2 + ((minY + maxY) / 2) * view.scale;
  }

  function resize() {
    view.dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(canvas.clientWidth * view.dpr);
    canvas.height = Math.round(canvas.clientHeight * view.dpr);
    draw();
  }

  let drawQueued = false;
  function requestDraw() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => { drawQueued = false; draw(); });
  }

  function draw() {
    const width = canvas.clientWidth, height = canvas.clientHeight;
    context.setTransform(view.dpr, 0, 0, view.dpr, 0, 0);
    context.clearRect(0, 0, width, height);
    const radius = Math.max(1.2, Math.min(7, 2.2 * Math.sqrt(view.scale / view.fitScale) * Math.min(1, 30 / Math.sqrt(count + 1) + 0.5)));
    // One path per colour: fast enough for 100,000 points.
    const byColour = new Map();
    let drawn = 0;
    for (let i = 0; i < count; i++) {
      const [sx, sy] = toScreen(i);
      if (sx < -radius || sy < -radius || sx > width + radius || sy > height + radius) continue;
      const colour = colourOf(i);
      if (!byColour.has(colour)) byColour.set(colour, []);
      byColour.get(colour).push(sx, sy);
      drawn++;
    }
    context.globalAlpha = 0.8;
    for (const [colour, points] of byColour) {
      context.fillStyle = colour;
      context.beginPath();
      for (let k = 0; k < points.length; k += 2) {
        context.moveTo(points[k] + radius, points[k + 1]);
        context.arc(points[k], points[k + 1], radius, 0, 2 * Math.PI);
      }
      context.fill();
    }
    context.globalAlpha = 1;
    api.drawnPoints = drawn;
    context.lineWidth = 2;
    for (const i of state.matches) ring(i, radius + 3, "#111");
    context.textAlign = "center";
    context.font = "bold 13px system-ui, sans-serif";
    for (const centre of centres) label(centre.x * view.scale + view.tx, -centre.y * view.scale + view.ty, centre.label, centre.colour);
    context.textAlign = "left";
    context.font = "12px system-ui, sans-serif";
    if (state.selected >= 0) { ring(state.selected, radius + 5, "#e0218a"); nameAt(state.selected, radius); }
    if (state.hovered >= 0) ring(state.hovered, radius + 2, "#000");
  }

  function ring(i, r, colour) {
    const [sx, sy] = toScreen(i);
    context.strokeStyle = colour;
    context.beginPath();
    context.arc(sx, sy, r, 0, 2 * Math.PI);
    context.stroke();
  }
  function label(sx, sy, text, colour) {
    context.lineWidth = 4; context.strokeStyle = "rgba(255,255,255,0.85)";
    context.strokeText(text, sx, sy); context.fillStyle = colour; context.fillText(text, sx, sy);
    context.lineWidth = 2;
  }
  function nameAt(i, radius) { const [sx, sy] = toScreen(i); label(sx + radius + 6, sy + 4, data.name[i], "#111"); }

  function nearestPoint(sx, sy) {
    const [dx, dy] = toData(sx, sy);
    const reach = HOVER_RADIUS_PX / view.scale;
    const cx0 = Math.floor((dx - reach - minX) / cellSize), cx1 = Math.floor((dx + reach - minX) / cellSize);
    const cy0 = Math.floor((dy - reach - minY) / cellSize), cy1 = Math.floor((dy + reach - minY) / cellSize);
    if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > 4096) return -1;  // zoomed far out: too coarse to point at one account
    let best = -1, bestDistance = reach * reach;
    for (let cx = cx0; cx <= cx1; cx++) for (let cy = cy0; cy <= cy1; cy++) {
      const cell = grid.get(cellKey(cx, cy));
      if (!cell) continue;
      for (const i of cell) {
        const distance = (data.x[i] - dx) ** 2 + (data.y[i] - dy) ** 2;
        if (distance <= bestDistance) { best = i; bestDistance = distance; }
      }
    }
    return best;
  }

  const formatFollowers = (f) => (f === null || f === undefined ? "followers unknown" : `${Number(f).toLocaleString("en")} followers`);
  const profileUrl = (permalink) => data.profileUrl + encodeURIComponent(permalink);

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function showTooltip(i, clientX, clientY) {
    tooltip.replaceChildren(element("div", data.name[i], "name"),
      element("div", data.permalink[i] || "", "sub permalink"), element("div", formatFollowers(data.followers[i]), "sub"));
    tooltip.hidden = false;
    tooltip.style.left = `${clientX + 14}px`;
    tooltip.style.top = `${clientY + 12}px`;
  }

  function select(i, centre) {
    if (i < 0 || i >= count) return;
    state.selected = i;
    if (centre) {
      view.scale = Math.max(view.scale, view.fitScale * 4);
      view.tx = canvas.clientWidth / 2 - data.x[i] * view.scale;
      view.ty = canvas.clientHeight / 2 + data.y[i] * view.scale;
    }
    document.getElementById("panel-name").textContent = data.name[i];
    const link = document.getElementById("panel-link");
    link.textContent = data.permalink[i] ? `soundcloud: ${data.permalink[i]}` : "";
    link.href = data.permalink[i] ? profileUrl(data.permalink[i]) : "#";
    document.getElementById("panel-followers").textContent = formatFollowers(data.followers[i]);
    const cluster = data.cluster[i];
    document.getElementById("panel-cluster").textContent = cluster >= 0 ? `scene: ${data.clusters[cluster].label}` : "";
    const list = document.getElementById("panel-neighbours");
    list.replaceChildren();
    for (const [ref, share] of data.neighbours[i] || []) {
      const onMap = ref >= 0;
      const item = element("li", onMap ? data.name[ref] : data.otherName[-1 - ref], onMap ? "on-map" : "");
      item.appendChild(element("span", `${(share * 100).toFixed(1)}%`, "permalink"));
      if (onMap) item.addEventListener("click", () => select(ref, true));
      list.appendChild(item);
    }
    panel.hidden = false;
    requestDraw();
  }

  function openProfile(i) {
    if (!data.permalink[i]) return;
    api.lastOpenedUrl = profileUrl(data.permalink[i]);
    window.open(api.lastOpenedUrl, "_blank", "noopener");
  }

  function runSearch(query) {
    const needle = query.trim().toLowerCase();
    state.matches = [];
    resultList.replaceChildren();
    if (!needle) { resultList.hidden = true; statusLine.textContent = ""; requestDraw(); return []; }
    for (let i = 0; i < count; i++) {
      if (String(data.name[i]).toLowerCase().includes(needle) || String(data.permalink[i] || "").toLowerCase().includes(needle)) {
        state.matches.push(i);
      }
    }
    // Exact and prefix matches first, then the most followed.
    const rank = (i) => { const name = String(data.name[i]).toLowerCase(), slug = String(data.permalink[i] || "").toLowerCase();
      return name === needle || slug === needle ? 0 : name.startsWith(needle) || slug.startsWith(needle) ? 1 : 2; };
    state.matches.sort((a, b) => rank(a) - rank(b) || (data.followers[b] || 0) - (data.followers[a] || 0));
    for (const i of state.matches.slice(0, MAX_RESULTS)) {
      const item = element("li", data.name[i]);
      item.appendChild(element("span", data.permalink[i] || "", "permalink"));
      item.addEventListener("mousedown", (event) => { event.preventDefault(); select(i, true); resultList.hidden = true; });
      resultList.appendChild(item);
    }
    resultList.hidden = state.matches.length === 0;
    statusLine.textContent = `${state.matches.length.toLocaleString("en")} match${state.matches.length === 1 ? "" : "es"}`;
    requestDraw();
    return state.matches.slice();
  }

  searchBox.addEventListener("input", () => runSearch(searchBox.value));
  searchBox.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && state.matches.length) { select(state.matches[0], true); resultList.hidden = true; }
    if (event.key === "Escape") { searchBox.value = ""; runSearch(""); }
  });
  document.getElementById("panel-close").addEventListener("click", () => { panel.hidden = true; state.selected = -1; requestDraw(); });

  // Pan by dragging; a press released without moving is a click.
  let drag = null;
  canvas.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY, tx: view.tx, ty: view.ty, moved: false };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (drag) {
      const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; canvas.classList.add("dragging"); }
      if (drag.moved) { view.tx = drag.tx + dx; view.ty = drag.ty + dy; tooltip.hidden = true; requestDraw(); return; }
    }
    const rect = canvas.getBoundingClientRect();
    const i = nearestPoint(event.clientX - rect.left, event.clientY - rect.top);
    if (i !== state.hovered) { state.hovered = i; requestDraw(); }
    if (i >= 0) showTooltip(i, event.clientX, event.clientY); else tooltip.hidden = true;
  });
  canvas.addEventListener("pointerup", (event) => {
    const wasClick = drag && !drag.moved;
    drag = null;
    canvas.classList.remove("dragging");
    if (!wasClick) return;
    const rect = canvas.getBoundingClientRect();
    const i = nearestPoint(event.clientX - rect.left, event.clientY - rect.top);
    if (i >= 0) { select(i, false); openProfile(i); }
  });
  canvas.addEventListener("pointerleave", () => { tooltip.hidden = true; if (state.hovered >= 0) { state.hovered = -1; requestDraw(); } });
  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    const rect = canvas.getBoundingClientRect();
    const sx = event.clientX - rect.left, sy = event.clientY - rect.top;
    const factor = Math.exp(-event.deltaY * 0.0015);
    const scale = Math.min(view.fitScale * 2000, Math.max(view.fitScale * 0.2, view.scale * factor));
    view.tx = sx - (sx - view.tx) * (scale / view.scale);
    view.ty = sy - (sy - view.ty) * (scale / view.scale);
    view.scale = scale;
    requestDraw();
  }, { passive: false });
  window.addEventListener("resize", resize);

  fitView();
  resize();
  statusLine.textContent = `${count.toLocaleString("en")} accounts`;
  document.title = data.title;
})();
